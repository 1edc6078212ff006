// compat-wasmedge uses the WasmEdge socket extension of
// wasi_snapshot_preview1 the way WasmEdge socket libraries call it, with
// the v2 signatures (sock_accept as in WASI; sock_getlocaladdr,
// sock_getpeeraddr and sock_recv_from with a 128-byte address storage and
// a port out-pointer). compat-wasmedge-v1 builds this file with
// WASMEDGE_V1 defined: the v1 signatures of those four names, with 4- and
// 16-byte address buffers.
//
//   compat-wasmedge TCP_PORT UDP_PORT DENIED_PORT
//
// The host runs a TCP server on 127.0.0.1:TCP_PORT that answers "ping"
// with "pong", and a UDP server on UDP_PORT that answers "udp-ping" with
// "udp-pong"; the guest may connect to those two and bind 127.0.0.1:0.
// The guest then listens on an ephemeral port, prints "listening PORT",
// accepts one connection, answers "hello" with "world", and exits. It
// prints "ok ..." or "FAIL ..." lines and exits 1 if any check failed.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
typedef uint32_t ptr_t;
#define P(x) ((ptr_t)(uintptr_t)(x))

typedef struct {
    ptr_t buf;
    uint32_t buf_len;
} we_addr_t;

IMPORT(sock_open) int32_t we_sock_open(int32_t af, int32_t type, ptr_t fd);
IMPORT(sock_bind) int32_t we_sock_bind(int32_t fd, ptr_t addr, int32_t port);
IMPORT(sock_connect) int32_t we_sock_connect(int32_t fd, ptr_t addr, int32_t port);
IMPORT(sock_listen) int32_t we_sock_listen(int32_t fd, int32_t backlog);
#ifdef WASMEDGE_V1
IMPORT(sock_accept) int32_t we_sock_accept(int32_t fd, ptr_t nfd);
IMPORT(sock_getlocaladdr) int32_t we_sock_getlocaladdr(int32_t fd, ptr_t addr, ptr_t type, ptr_t port);
IMPORT(sock_getpeeraddr) int32_t we_sock_getpeeraddr(int32_t fd, ptr_t addr, ptr_t type, ptr_t port);
IMPORT(sock_recv_from) int32_t we_sock_recv_from(int32_t fd, ptr_t iovs, int32_t n, ptr_t addr, int32_t flags, ptr_t nread, ptr_t roflags);
#else
IMPORT(sock_accept) int32_t we_sock_accept(int32_t fd, int32_t flags, ptr_t nfd);
IMPORT(sock_getlocaladdr) int32_t we_sock_getlocaladdr(int32_t fd, ptr_t addr, ptr_t port);
IMPORT(sock_getpeeraddr) int32_t we_sock_getpeeraddr(int32_t fd, ptr_t addr, ptr_t port);
IMPORT(sock_recv_from) int32_t we_sock_recv_from(int32_t fd, ptr_t iovs, int32_t n, ptr_t addr, int32_t flags, ptr_t port, ptr_t nread, ptr_t roflags);
#endif
IMPORT(sock_send_to) int32_t we_sock_send_to(int32_t fd, ptr_t iovs, int32_t n, ptr_t addr, int32_t port, int32_t flags, ptr_t nsent);
IMPORT(sock_recv) int32_t we_sock_recv(int32_t fd, ptr_t iovs, int32_t n, int32_t flags, ptr_t nread, ptr_t roflags);
IMPORT(sock_send) int32_t we_sock_send(int32_t fd, ptr_t iovs, int32_t n, int32_t flags, ptr_t nsent);
IMPORT(sock_shutdown) int32_t we_sock_shutdown(int32_t fd, int32_t how);
IMPORT(sock_getsockopt) int32_t we_sock_getsockopt(int32_t fd, int32_t level, int32_t name, ptr_t flag, ptr_t size);
IMPORT(sock_setsockopt) int32_t we_sock_setsockopt(int32_t fd, int32_t level, int32_t name, ptr_t flag, int32_t size);
IMPORT(sock_getaddrinfo) int32_t we_sock_getaddrinfo(ptr_t node, int32_t nodelen, ptr_t svc, int32_t svclen, ptr_t hints, ptr_t res, int32_t max, ptr_t reslen);
IMPORT(fd_close) int32_t we_fd_close(int32_t fd);

enum { INET4 = 1, INET6 = 2 };
enum { DGRAM = 1, STREAM = 2 };
enum { EACCES = 2, EFAULT = 21, EINVAL = 28, ENOPROTOOPT = 50, EAI_NONAME = 84 };
#define BAD ((ptr_t)0xFFFFFFF0u) // past the end of memory

static int failures;

static void check(const char *name, long got, long want) {
    if (got == want) {
        printf("ok %s\n", name);
    } else {
        printf("FAIL %s: got %ld, want %ld\n", name, got, want);
        failures++;
    }
}

static const uint8_t loopback[4] = {127, 0, 0, 1};

// v4 makes a 4-byte address (both versions accept it).
static we_addr_t v4(void) {
    we_addr_t a = {P(loopback), 4};
    return a;
}

// storage makes a 128-byte v2 address storage for 127.0.0.1.
static uint8_t store[128];
static we_addr_t storage(void) {
    memset(store, 0, sizeof store);
    store[0] = INET4;
    memcpy(store + 2, loopback, 4);
    we_addr_t a = {P(store), 128};
    return a;
}

static int32_t sock(int32_t type) {
    int32_t fd = -1;
    check("sock_open", we_sock_open(INET4, type, P(&fd)), 0);
    return fd;
}

static int32_t send_str(int32_t fd, const char *s) {
    uint32_t iov[2] = {P(s), strlen(s)}, n = 0;
    int32_t e = we_sock_send(fd, P(iov), 1, 0, P(&n));
    return e ? -e : (int32_t)n;
}

static const char *recv_str(int32_t fd) {
    static char buf[64];
    uint32_t iov[2] = {P(buf), sizeof buf - 1}, n = 0;
    uint16_t fl = 0;
    if (we_sock_recv(fd, P(iov), 1, 0, P(&n), P(&fl)) != 0) {
        return "<error>";
    }
    buf[n] = 0;
    return buf;
}

static void check_str(const char *name, const char *got, const char *want) {
    if (strcmp(got, want) == 0) {
        printf("ok %s\n", name);
    } else {
        printf("FAIL %s: got \"%s\", want \"%s\"\n", name, got, want);
        failures++;
    }
}

// peer checks a connected socket's peer address and port.
static void check_peer(const char *name, int32_t fd, int port) {
    uint32_t p = 0;
    char nm[96];
#ifdef WASMEDGE_V1
    uint8_t b[4] = {0};
    uint32_t type = 0;
    we_addr_t a = {P(b), 4};
    snprintf(nm, sizeof nm, "%s getpeeraddr v1", name);
    check(nm, we_sock_getpeeraddr(fd, P(&a), P(&type), P(&p)), 0);
    snprintf(nm, sizeof nm, "%s v1 address type 4", name);
    check(nm, type, 4);
#else
    uint8_t b[128] = {0};
    we_addr_t a = {P(b), 128};
    snprintf(nm, sizeof nm, "%s getpeeraddr v2", name);
    check(nm, we_sock_getpeeraddr(fd, P(&a), P(&p)), 0);
    snprintf(nm, sizeof nm, "%s v2 family", name);
    check(nm, b[0], INET4);
    memmove(b, b + 2, 4);
#endif
    snprintf(nm, sizeof nm, "%s peer address", name);
    check(nm, memcmp(b, loopback, 4), 0);
    snprintf(nm, sizeof nm, "%s peer port", name);
    check(nm, p, port);
}

// local_port returns a socket's local port.
static int local_port(int32_t fd) {
    uint32_t p = 0;
#ifdef WASMEDGE_V1
    uint8_t b[16];
    uint32_t type = 0;
    we_addr_t a = {P(b), 16};
    check("getlocaladdr v1", we_sock_getlocaladdr(fd, P(&a), P(&type), P(&p)), 0);
    check("getlocaladdr v1 type", type, 4);
#else
    uint8_t b[128];
    we_addr_t a = {P(b), 128};
    check("getlocaladdr v2", we_sock_getlocaladdr(fd, P(&a), P(&p)), 0);
    check("getlocaladdr v2 family", b[0], INET4);
    we_addr_t small = {P(b), 16};
    check("getlocaladdr v2 wants 128 bytes", we_sock_getlocaladdr(fd, P(&small), P(&p)), EINVAL);
#endif
    return (int)p;
}

static void client(int tcp_port, int denied_port) {
    int32_t fd = sock(STREAM);
    we_addr_t a = v4();
    check("connect", we_sock_connect(fd, P(&a), tcp_port), 0);
    // Bad pointers fail before any I/O: nothing is sent, nothing consumed.
    const char *ping = "ping";
    uint32_t bad_iov[4] = {P(ping), 4, BAD, 4}, n = 0;
    check("efault send: second iovec", we_sock_send(fd, P(bad_iov), 2, 0, P(&n)), EFAULT);
    uint32_t ping_iov[2] = {P(ping), 4};
    check("efault send: result pointer", we_sock_send(fd, P(ping_iov), 1, 0, BAD), EFAULT);
    check("send ping", send_str(fd, "ping"), 4);
    char rbuf[8];
    uint32_t rbad[4] = {P(rbuf), 2, BAD, 2}, rgood[2] = {P(rbuf), 8};
    uint16_t rfl;
    check("efault recv: second iovec", we_sock_recv(fd, P(rbad), 2, 0, P(&n), P(&rfl)), EFAULT);
    check("efault recv: result pointer", we_sock_recv(fd, P(rgood), 1, 0, BAD, P(&rfl)), EFAULT);
    check("efault recv: flags pointer", we_sock_recv(fd, P(rgood), 1, 0, P(&n), BAD), EFAULT);
    check_str("recv pong", recv_str(fd), "pong");
    check_peer("tcp", fd, tcp_port);
    check("shutdown write", we_sock_shutdown(fd, 2), 0);
    check_str("recv EOF (no extra pong: no partial send)", recv_str(fd), "");
    we_fd_close(fd);

    fd = sock(STREAM);
    a = storage();
    check("connect with a 128-byte storage", we_sock_connect(fd, P(&a), tcp_port), 0);
    check("send ping again", send_str(fd, "ping"), 4);
    check_str("recv pong again", recv_str(fd), "pong");
    we_fd_close(fd);

    fd = sock(STREAM);
    a = v4();
    check("connect without a grant", we_sock_connect(fd, P(&a), denied_port), EACCES);
    check("bind without a grant", we_sock_bind(fd, P(&a), denied_port), EACCES);

    // Socket options, in WasmEdge's numbering (level 0 is SOL_SOCKET).
    int32_t one = 1, v = 0;
    uint32_t size = 4;
    check("setsockopt SO_REUSEADDR", we_sock_setsockopt(fd, 0, 0, P(&one), 4), 0);
    check("getsockopt SO_REUSEADDR", we_sock_getsockopt(fd, 0, 0, P(&v), P(&size)), 0);
    check("SO_REUSEADDR is on", v != 0, 1);
    check("SO_REUSEADDR size", size, 4);
    size = 4;
    check("getsockopt SO_TYPE", we_sock_getsockopt(fd, 0, 1, P(&v), P(&size)), 0);
    check("SO_TYPE is stream", v, STREAM);
    int64_t tv[2] = {1, 250000}, tv2[2] = {0, 0};
    check("setsockopt SO_RCVTIMEO", we_sock_setsockopt(fd, 0, 11, P(tv), 16), 0);
    size = 16;
    check("getsockopt SO_RCVTIMEO", we_sock_getsockopt(fd, 0, 11, P(tv2), P(&size)), 0);
    check("SO_RCVTIMEO round trip", tv2[0] == 1 && tv2[1] == 250000, 1);
    size = 4;
    check("getsockopt SO_DONTROUTE", we_sock_getsockopt(fd, 0, 3, P(&v), P(&size)), ENOPROTOOPT);
    check("setsockopt bad level", we_sock_setsockopt(fd, 5, 0, P(&one), 4), EINVAL);
    we_fd_close(fd);
}

static void udp(int udp_port) {
    int32_t fd = sock(DGRAM);
    we_addr_t a = v4();
    const char *msg = "udp-ping";
    uint32_t iov[2] = {P(msg), strlen(msg)}, n = 0;
    check("send_to", we_sock_send_to(fd, P(iov), 1, P(&a), udp_port, 0, P(&n)), 0);
    check("sent 8", n, 8);
    char buf[32] = {0};
    uint32_t riov[2] = {P(buf), sizeof buf - 1};
    uint16_t roflags = 0;
#ifdef WASMEDGE_V1
    uint8_t from[4] = {0};
    we_addr_t fa = {P(from), 4};
    check("recv_from v1", we_sock_recv_from(fd, P(riov), 1, P(&fa), 0, P(&n), P(&roflags)), 0);
    check("recv_from v1 sender", memcmp(from, loopback, 4), 0);
#else
    uint8_t from[128] = {0};
    we_addr_t fa = {P(from), 128};
    uint16_t port = 0;
    check("recv_from v2", we_sock_recv_from(fd, P(riov), 1, P(&fa), 0, P(&port), P(&n), P(&roflags)), 0);
    check("recv_from v2 family", from[0], INET4);
    check("recv_from v2 sender", memcmp(from + 2, loopback, 4), 0);
    check("recv_from v2 port", port, udp_port);
#endif
    buf[n] = 0;
    check_str("recv_from data", buf, "udp-pong");
    we_fd_close(fd);
}

static void getaddrinfo_test(void) {
    typedef struct {
        uint8_t family;
        uint8_t pad[3];
        uint32_t data_len;
        ptr_t data;
    } sockaddr_t;
    typedef struct {
        uint16_t flags;
        uint8_t family, socktype, protocol, pad[3];
        uint32_t addrlen;
        ptr_t addr, canonname;
        uint32_t canonname_len;
        ptr_t next;
    } addrinfo_t;
    _Static_assert(sizeof(addrinfo_t) == 28, "addrinfo size");
    _Static_assert(sizeof(sockaddr_t) == 12, "sockaddr size");
    static addrinfo_t ai[2];
    static sockaddr_t sa[2];
    static uint8_t data[2][26];
    static char canon[2][64];
    for (int i = 0; i < 2; i++) {
        memset(&ai[i], 0, sizeof ai[i]);
        sa[i].data_len = 26;
        sa[i].data = P(data[i]);
        ai[i].addr = P(&sa[i]);
        ai[i].canonname = P(canon[i]);
        ai[i].canonname_len = 64;
        ai[i].next = i == 0 ? P(&ai[1]) : 0;
    }
    addrinfo_t hints;
    memset(&hints, 0, sizeof hints);
    hints.family = INET4;
    hints.socktype = STREAM;
    ptr_t res = P(&ai[0]);
    uint32_t n = 0;
    const char *node = "127.0.0.1", *svc = "80";
    check("getaddrinfo", we_sock_getaddrinfo(P(node), strlen(node), P(svc), strlen(svc), P(&hints), P(&res), 2, P(&n)), 0);
    check("getaddrinfo: one answer", n, 1);
    check("getaddrinfo: family", ai[0].family, INET4);
    check("getaddrinfo: socktype", ai[0].socktype, STREAM);
    check("getaddrinfo: protocol tcp", ai[0].protocol, 1);
    check("getaddrinfo: addrlen", ai[0].addrlen, 16);
    check("getaddrinfo: sa_family", sa[0].family, INET4);
    check("getaddrinfo: port 80, big-endian", data[0][0] << 8 | data[0][1], 80);
    check("getaddrinfo: address", memcmp(data[0] + 2, loopback, 4), 0);
    hints.flags = 4; // AI_NUMERICHOST
    const char *bad = "not-an-address";
    check("getaddrinfo numerichost", we_sock_getaddrinfo(P(bad), strlen(bad), P(svc), strlen(svc), P(&hints), P(&res), 2, P(&n)), EAI_NONAME);
}

static void server(void) {
    int32_t fd = sock(STREAM);
    we_addr_t a = v4();
    check("bind 127.0.0.1:0", we_sock_bind(fd, P(&a), 0), 0);
    check("listen", we_sock_listen(fd, 8), 0);
    int port = local_port(fd);
    printf("listening %d\n", port);
    fflush(stdout);
    int32_t c = -1;
#ifdef WASMEDGE_V1
    check("efault accept v1", we_sock_accept(fd, BAD), EFAULT);
    check("accept v1", we_sock_accept(fd, P(&c)), 0);
#else
    check("efault accept", we_sock_accept(fd, 0, BAD), EFAULT);
    check("accept", we_sock_accept(fd, 0, P(&c)), 0);
#endif
    check_str("server recv", recv_str(c), "hello");
    check("server send", send_str(c, "world"), 5);
    we_fd_close(c);
    we_fd_close(fd);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 4) {
        fprintf(stderr, "usage: compat-wasmedge TCP_PORT UDP_PORT DENIED_PORT\n");
        return 2;
    }
    client(atoi(argv[1]), atoi(argv[3]));
    udp(atoi(argv[2]));
    getaddrinfo_test();
    server();
    printf("done, %d failures\n", failures);
    return failures ? 1 : 0;
}
