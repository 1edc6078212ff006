/* efault.c: every pointer parameter of every function (but the gateway's,
 * which need a request: see conformance-c-gateway) out of the guest's
 * memory, one at a time, the other arguments valid. Each call must fail
 * with EFAULT before any effect. The check names are
 * "efault/FUNCTION/PARAMETER" with the parameter names of package abi's
 * table, and "efault/FUNCTION/PARAMETER-wrap" for a valid pointer whose
 * length runs past the end of memory; the runner derives the list it
 * expects from the table. */
#include <ptsevent.h>
#include <ptsevent_helpers.h>
#include <string.h>

#include "../include/check.h"

#define BAD ((void *)0xfffffff0u)
#define WRAP 0xffffffffu

#define EF(name, call) expect("efault/" name, (call), PTS_EFAULT)

void efault_scenario(void) {
  static char buf[64];
  uint32_t n = 0;
  int32_t fd, p[2], sp[2], dg[2], ln, cl, nfd;
  pts_sockaddr sa, local;
  pts_iovec iov = {buf, sizeof buf};
  pts_iovec badiov = {BAD, 16};
  int32_t one = 1;

  /* Descriptors to call on: a pipe with data, connected stream and datagram
   * socketpairs with data, an unconnected socket, a listener with a
   * connection waiting. */
  MUST("pipe", pts_pipe(0, p));
  pts_write(p[1], "pipe data\npipe data\n", 20, &n);
  MUST("socketpair", pts_socketpair(PTS_AF_UNIX, PTS_SOCK_STREAM, 0, sp));
  pts_write(sp[1], "stream data", 11, &n);
  MUST("socketpair", pts_socketpair(PTS_AF_UNIX, PTS_SOCK_DGRAM, 0, dg));
  pts_send(dg[1], "datagram", 8, 0, &n);
  MUST("socket", pts_socket(PTS_AF_INET, PTS_SOCK_STREAM, 0, &fd));
  MUST("listen", pts_tcp_listen("127.0.0.1", 0, 4, &ln));
  MUST("getsockname", pts_getsockname(ln, &local));
  MUST("set_nonblock", pts_set_nonblock(ln, 1));
  MUST("client", pts_socket(PTS_AF_INET, PTS_SOCK_STREAM | PTS_SOCK_NONBLOCK, 0, &cl));
  pts_connect(cl, &local);
  MUST("wait", pts_wait(ln, PTS_POLLIN, 10LL * 1000 * 1000 * 1000));
  MUST("wait", pts_wait(sp[0], PTS_POLLIN, 10LL * 1000 * 1000 * 1000));
  MUST("wait", pts_wait(dg[0], PTS_POLLIN, 10LL * 1000 * 1000 * 1000));
  pts_sockaddr_ip4(&sa, "127.0.0.1", 9);

  /* The number the next descriptor gets, to check nothing leaks. */
  int32_t probe;
  MUST("probe", pts_socket(PTS_AF_INET, PTS_SOCK_DGRAM, 0, &probe));
  pts_close(probe);

  EF("read/buf", pts_read(p[0], BAD, 16, &n));
  EF("read/buf-wrap", pts_read(p[0], buf, WRAP, &n));
  EF("read/nread", pts_read(p[0], buf, sizeof buf, BAD));
  EF("write/buf", pts_write(p[1], BAD, 16, &n));
  EF("write/buf-wrap", pts_write(p[1], buf, WRAP, &n));
  EF("write/nwritten", pts_write(p[1], buf, 4, BAD));
  EF("readv/iovs", pts_readv(p[0], BAD, 1, &n));
  EF("readv/iov-buf", pts_readv(p[0], &badiov, 1, &n));
  EF("readv/nread", pts_readv(p[0], &iov, 1, BAD));
  EF("writev/iovs", pts_writev(p[1], BAD, 1, &n));
  EF("writev/iov-buf", pts_writev(p[1], &badiov, 1, &n));
  EF("writev/nwritten", pts_writev(p[1], &iov, 1, BAD));
  EF("readline/buf", pts_readline(p[0], BAD, 16, &n));
  EF("readline/buf-wrap", pts_readline(p[0], buf, WRAP, &n));
  EF("readline/nread", pts_readline(p[0], buf, sizeof buf, BAD));
  /* Nothing was consumed: the pipe still starts with its first line. */
  memset(buf, 0, sizeof buf);
  pts_readline(p[0], buf, sizeof buf, &n);
  that("efault/no-bytes-consumed", strcmp(buf, "pipe data\n") == 0, buf);

  EF("socket/fd", pts_socket(PTS_AF_INET, PTS_SOCK_STREAM, 0, BAD));
  EF("bind/addr", pts_bind(fd, BAD));
  EF("accept/newfd", pts_accept(ln, 0, BAD, 0));
  EF("accept/addr", pts_accept(ln, 0, &nfd, BAD));
  EF("connect/addr", pts_connect(fd, BAD));
  EF("send/buf", pts_send(sp[1], BAD, 16, 0, &n));
  EF("send/buf-wrap", pts_send(sp[1], buf, WRAP, 0, &n));
  EF("send/nsent", pts_send(sp[1], buf, 4, 0, BAD));
  EF("recv/buf", pts_recv(sp[0], BAD, 16, 0, &n));
  EF("recv/buf-wrap", pts_recv(sp[0], buf, WRAP, 0, &n));
  EF("recv/nrecv", pts_recv(sp[0], buf, sizeof buf, 0, BAD));
  EF("sendto/buf", pts_sendto(dg[1], BAD, 16, 0, 0, &n));
  EF("sendto/buf-wrap", pts_sendto(dg[1], buf, WRAP, 0, 0, &n));
  EF("sendto/addr", pts_sendto(fd, buf, 4, 0, BAD, &n));
  EF("sendto/nsent", pts_sendto(dg[1], buf, 4, 0, 0, BAD));
  EF("recvfrom/buf", pts_recvfrom(dg[0], BAD, 16, 0, &sa, &n));
  EF("recvfrom/buf-wrap", pts_recvfrom(dg[0], buf, WRAP, 0, &sa, &n));
  EF("recvfrom/addr", pts_recvfrom(dg[0], buf, sizeof buf, 0, BAD, &n));
  EF("recvfrom/nrecv", pts_recvfrom(dg[0], buf, sizeof buf, 0, &sa, BAD));
  EF("getsockname/addr", pts_getsockname(ln, BAD));
  EF("getpeername/addr", pts_getpeername(sp[0], BAD));
  EF("setsockopt/val", pts_setsockopt(fd, PTS_SOL_SOCKET, PTS_SO_REUSEADDR, BAD, 4));
  EF("setsockopt/val-wrap", pts_setsockopt(fd, PTS_SOL_SOCKET, PTS_SO_REUSEADDR, &one, WRAP));
  EF("getsockopt/val", pts_getsockopt(fd, PTS_SOL_SOCKET, PTS_SO_REUSEADDR, BAD, 4, &n));
  EF("getsockopt/val-wrap", pts_getsockopt(fd, PTS_SOL_SOCKET, PTS_SO_REUSEADDR, &one, WRAP, &n));
  EF("getsockopt/val_size", pts_getsockopt(fd, PTS_SOL_SOCKET, PTS_SO_REUSEADDR, &one, 4, BAD));
  EF("socketpair/fds", pts_socketpair(PTS_AF_UNIX, PTS_SOCK_STREAM, 0, BAD));
  EF("pipe/fds", pts_pipe(0, BAD));
  EF("open/path", pts_open(BAD, 12, PTS_O_RDONLY, 0, &nfd));
  EF("open/path-wrap", pts_open("/data/in.txt", WRAP, PTS_O_RDONLY, 0, &nfd));
  EF("open/fd", pts_open("/data/in.txt", 12, PTS_O_RDONLY, 0, BAD));
  EF("unlink/path", pts_unlink(BAD, 12));
  EF("unlink/path-wrap", pts_unlink("/data/in.txt", WRAP));
  EF("fromfd/name", pts_fromfd(BAD, 4, &nfd));
  EF("fromfd/name-wrap", pts_fromfd("pipe", WRAP, &nfd));
  EF("fromfd/fd", pts_fromfd("pipe", 4, BAD));
  pts_pollfd pfd = {p[0], PTS_POLLIN, 0};
  EF("poll/fds", pts_poll(BAD, 1, 0, &n));
  EF("poll/nready", pts_poll(&pfd, 1, 0, BAD));

  pts_addrinfo res[2];
  pts_addrinfo_hints hints = {0, PTS_AF_INET, PTS_SOCK_STREAM, 0};
  EF("getaddrinfo/node", pts_getaddrinfo(BAD, 6, "80", 2, &hints, res, 2, &n));
  EF("getaddrinfo/node-wrap", pts_getaddrinfo("a.test", WRAP, "80", 2, &hints, res, 2, &n));
  EF("getaddrinfo/service", pts_getaddrinfo("a.test", 6, BAD, 2, &hints, res, 2, &n));
  EF("getaddrinfo/service-wrap", pts_getaddrinfo("a.test", 6, "80", WRAP, &hints, res, 2, &n));
  EF("getaddrinfo/hints", pts_getaddrinfo("a.test", 6, "80", 2, BAD, res, 2, &n));
  EF("getaddrinfo/res", pts_getaddrinfo("a.test", 6, "80", 2, &hints, BAD, 2, &n));
  EF("getaddrinfo/nres", pts_getaddrinfo("a.test", 6, "80", 2, &hints, res, 2, BAD));
  pts_sockaddr addrs[2];
  EF("gethostbyname/name", pts_gethostbyname(BAD, 6, PTS_AF_UNSPEC, addrs, 2, &n));
  EF("gethostbyname/name-wrap", pts_gethostbyname("a.test", WRAP, PTS_AF_UNSPEC, addrs, 2, &n));
  EF("gethostbyname/addrs", pts_gethostbyname("a.test", 6, PTS_AF_UNSPEC, BAD, 2, &n));
  EF("gethostbyname/naddrs", pts_gethostbyname("a.test", 6, PTS_AF_UNSPEC, addrs, 2, BAD));
  pts_sockaddr_ip4(&sa, "192.0.2.1", 0);
  EF("gethostbyaddr/addr", pts_gethostbyaddr(BAD, buf, sizeof buf, &n));
  EF("gethostbyaddr/name", pts_gethostbyaddr(&sa, BAD, 16, &n));
  EF("gethostbyaddr/name-wrap", pts_gethostbyaddr(&sa, buf, WRAP, &n));
  EF("gethostbyaddr/name_size", pts_gethostbyaddr(&sa, buf, sizeof buf, BAD));
  EF("tls_client/server_name", pts_tls_client(sp[0], BAD, 8, 0));
  EF("tls_client/server_name-wrap", pts_tls_client(sp[0], "a.test", WRAP, 0));

  /* No descriptor was made, no connection taken, no datagram consumed. */
  int32_t next;
  MUST("socket", pts_socket(PTS_AF_INET, PTS_SOCK_DGRAM, 0, &next));
  that("efault/no-descriptor-leaked", next == probe, "a descriptor leaked");
  pts_close(next);
  expect("efault/connection-still-queued", pts_accept(ln, 0, &nfd, &sa), 0);
  memset(buf, 0, sizeof buf);
  pts_recv(dg[0], buf, sizeof buf, 0, &n);
  that("efault/datagram-still-queued", n == 8 && memcmp(buf, "datagram", 8) == 0, buf);
  memset(buf, 0, sizeof buf);
  pts_recv(sp[0], buf, sizeof buf, 0, &n);
  that("efault/stream-still-there", n == 11 && memcmp(buf, "stream data", 11) == 0, buf);
}
