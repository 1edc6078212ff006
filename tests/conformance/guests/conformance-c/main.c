/* conformance-c: the C guest of the conformance suite (tests/conformance),
 * built with clang --target=wasm32-wasi on guest-sdk/c/ptsevent.h and
 * ptsevent_helpers.h.
 *
 *   conformance-c ebadf                  every function that takes a
 *                                        descriptor, on one that is not open
 *   conformance-c efault                 every pointer parameter of every
 *                                        function, out of the guest's memory
 *                                        (efault.c); needs /data mounted, the
 *                                        descriptor "pipe" granted and
 *                                        loopback grants
 *   conformance-c blocking TCP UDP       the blocking style of a C program:
 *                                        helpers, echo, datagrams, pipes,
 *                                        poll and sleep
 *
 * TCP and UDP are "ip:port" of an echo server (UDP: answers "pong:" and
 * the datagram). Results are check lines (check.h).
 */
#include <ptsevent.h>
#include <ptsevent_helpers.h>
#include <stdlib.h>
#include <string.h>

#include "../include/check.h"

void efault_scenario(void);

#define NOFD 1000 /* a descriptor that is not open */

static void ebadf(void) {
  char buf[16];
  uint32_t n;
  int32_t nfd;
  pts_sockaddr sa;
  pts_iovec iov = {buf, sizeof buf};
  int32_t one = 1;
  uint32_t env_size;
  pts_sockaddr_ip4(&sa, "127.0.0.1", 9);
  expect("ebadf/close", pts_close(NOFD), PTS_EBADF);
  expect("ebadf/set_nonblock", pts_set_nonblock(NOFD, 1), PTS_EBADF);
  expect("ebadf/read", pts_read(NOFD, buf, sizeof buf, &n), PTS_EBADF);
  expect("ebadf/write", pts_write(NOFD, buf, sizeof buf, &n), PTS_EBADF);
  expect("ebadf/readv", pts_readv(NOFD, &iov, 1, &n), PTS_EBADF);
  expect("ebadf/writev", pts_writev(NOFD, &iov, 1, &n), PTS_EBADF);
  expect("ebadf/readline", pts_readline(NOFD, buf, sizeof buf, &n), PTS_EBADF);
  expect("ebadf/bind", pts_bind(NOFD, &sa), PTS_EBADF);
  expect("ebadf/listen", pts_listen(NOFD, 1), PTS_EBADF);
  expect("ebadf/accept", pts_accept(NOFD, 0, &nfd, 0), PTS_EBADF);
  expect("ebadf/connect", pts_connect(NOFD, &sa), PTS_EBADF);
  expect("ebadf/send", pts_send(NOFD, buf, sizeof buf, 0, &n), PTS_EBADF);
  expect("ebadf/recv", pts_recv(NOFD, buf, sizeof buf, 0, &n), PTS_EBADF);
  expect("ebadf/sendto", pts_sendto(NOFD, buf, sizeof buf, 0, &sa, &n), PTS_EBADF);
  expect("ebadf/recvfrom", pts_recvfrom(NOFD, buf, sizeof buf, 0, &sa, &n), PTS_EBADF);
  expect("ebadf/shutdown", pts_shutdown(NOFD, PTS_SHUT_RDWR), PTS_EBADF);
  expect("ebadf/getsockname", pts_getsockname(NOFD, &sa), PTS_EBADF);
  expect("ebadf/getpeername", pts_getpeername(NOFD, &sa), PTS_EBADF);
  expect("ebadf/setsockopt", pts_setsockopt(NOFD, PTS_SOL_SOCKET, PTS_SO_REUSEADDR, &one, sizeof one), PTS_EBADF);
  expect("ebadf/getsockopt", pts_getsockopt(NOFD, PTS_SOL_SOCKET, PTS_SO_REUSEADDR, &one, sizeof one, &n), PTS_EBADF);
  expect("ebadf/tls_client", pts_tls_client(NOFD, "x.test", 6, 0), PTS_EBADF);
  expect("ebadf/tls_server", pts_tls_server(NOFD, 0), PTS_EBADF);
  expect("ebadf/req_environ", pts_req_environ(NOFD, buf, sizeof buf, &env_size), PTS_EBADF);
  expect("ebadf/start_response", pts_start_response(NOFD, "200 OK", 6, "", 0, 0), PTS_EBADF);
  expect("ebadf/req_abort", pts_req_abort(NOFD), PTS_EBADF);

  /* A closed descriptor, a negative one, and stdio numbers are not sockets. */
  int32_t fds[2];
  MUST("pipe", pts_pipe(0, fds));
  pts_close(fds[0]);
  expect("ebadf/closed", pts_read(fds[0], buf, sizeof buf, &n), PTS_EBADF);
  expect("ebadf/negative", pts_read(-1, buf, sizeof buf, &n), PTS_EBADF);
  pts_close(fds[1]);
}

static uint16_t port_of(const char *addr, char *ip, size_t cap) {
  const char *colon = strrchr(addr, ':');
  size_t n = colon ? (size_t)(colon - addr) : 0;
  if (!colon || n >= cap) {
    fail("usage", "bad address %s", addr);
    exit(2);
  }
  memcpy(ip, addr, n);
  ip[n] = 0;
  return (uint16_t)atoi(colon + 1);
}

static void blocking(const char *tcp, const char *udp) {
  char ip[64], line[128], text[64];
  uint32_t n = 0;
  int32_t fd;
  pts_sockaddr sa;

  expect("c/check-abi", pts_check_abi(), 0);
  uint16_t port = port_of(tcp, ip, sizeof ip);
  MUST("c/tcp-connect", pts_tcp_connect(ip, port, &fd));
  ok("c/tcp-connect");
  MUST("getpeername", pts_getpeername(fd, &sa));
  pts_sockaddr_format(&sa, text, sizeof text);
  that("c/sockaddr-format", strcmp(text, tcp) == 0, text);
  expect("c/write-all", pts_write_all(fd, "hello\nworld\n", 12, &n), 0);
  pts_read_line(fd, line, sizeof line, &n);
  int first = strcmp(line, "hello\n") == 0;
  pts_read_line(fd, line, sizeof line, &n);
  that("c/read-line", first && strcmp(line, "world\n") == 0, line);
  pts_write_all(fd, "0123456789", 10, &n);
  memset(line, 0, sizeof line);
  expect("c/read-full", pts_read_full(fd, line, 10, &n), 0);
  that("c/read-full-data", n == 10 && memcmp(line, "0123456789", 10) == 0, line);
  MUST("timeout", pts_set_timeout_ns(fd, PTS_SO_RCVTIMEO, 100 * 1000 * 1000LL));
  expect("c/rcvtimeo", pts_read(fd, line, sizeof line, &n), PTS_ETIMEDOUT);
  expect("c/close", pts_close(fd), 0);

  /* A datagram round trip. */
  port = port_of(udp, ip, sizeof ip);
  pts_sockaddr_ip4(&sa, ip, port);
  MUST("socket", pts_socket(PTS_AF_INET, PTS_SOCK_DGRAM, 0, &fd));
  expect("c/sendto", pts_sendto(fd, "ping", 4, 0, &sa, &n), 0);
  pts_sockaddr from;
  memset(line, 0, sizeof line);
  expect("c/recvfrom", pts_recvfrom(fd, line, sizeof line, 0, &from, &n), 0);
  that("c/recvfrom-data", n == 9 && memcmp(line, "pong:ping", 9) == 0 && from.port == port, line);
  pts_close(fd);

  /* A non-blocking pipe waited on with poll, and sleep. */
  int32_t p[2];
  MUST("pipe", pts_pipe(PTS_O_NONBLOCK, p));
  expect("c/pipe-eagain", pts_read(p[0], line, sizeof line, &n), PTS_EAGAIN);
  expect("c/wait-timeout", pts_wait(p[0], PTS_POLLIN, 20 * 1000 * 1000LL), PTS_ETIMEDOUT);
  pts_write(p[1], "x", 1, &n);
  expect("c/wait-ready", pts_wait(p[0], PTS_POLLIN, -1), 0);
  expect("c/sleep", pts_sleep(10 * 1000 * 1000LL), 0);
  pts_close(p[0]);
  pts_close(p[1]);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fail("usage", "conformance-c SCENARIO ARGS...");
    return 2;
  }
  if (strcmp(argv[1], "ebadf") == 0) {
    ebadf();
  } else if (strcmp(argv[1], "efault") == 0) {
    efault_scenario();
  } else if (strcmp(argv[1], "blocking") == 0 && argc == 4) {
    blocking(argv[2], argv[3]);
  } else {
    fail("usage", "unknown scenario %s", argv[1]);
    return 2;
  }
  return check_failed;
}
