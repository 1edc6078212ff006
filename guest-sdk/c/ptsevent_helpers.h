/* ptsevent_helpers.h: static inline helpers over ptsevent.h for C guests
 * (clang --target=wasm32-wasi). Header-only, nothing to link, and no libc
 * needed: every helper uses only the ptsevent imports.
 *
 *   pts_check_abi                  the host speaks this header's ABI major
 *   pts_sockaddr_ip4/ip6/ip/unix   build a pts_sockaddr from text
 *   pts_sockaddr_format            "1.2.3.4:80", "[::1]:80", "/path"
 *   pts_tcp_connect, pts_tcp_listen  socket + (bind) + connect/listen
 *   pts_set_timeout_ns             SO_RCVTIMEO / SO_SNDTIMEO
 *   pts_wait                       poll one descriptor
 *   pts_write_all                  write every byte (waits on EAGAIN too)
 *   pts_read_full                  read exactly n bytes unless end of stream
 *   pts_read_line                  one line via the host's readline, NUL-terminated
 *
 * Every helper returns a pts_errno_t (0 on success), like the imports.
 */
#ifndef PTSEVENT_HELPERS_H
#define PTSEVENT_HELPERS_H

#include "ptsevent.h"

#ifdef __cplusplus
extern "C" {
#endif

/* pts_check_abi returns 0 when the host's ABI major version is this
 * header's (PTS_VERSION) and its minor at least PTS_VERSION_MINOR, else
 * PTS_ENOSYS. */
static inline pts_errno_t pts_check_abi(void) {
  uint32_t v = pts_abi_version();
  if ((v >> 16) != PTS_VERSION || (v & 0xffff) < PTS_VERSION_MINOR) return PTS_ENOSYS;
  return 0;
}

static inline void pts__zero(void *p, size_t n) {
  unsigned char *b = (unsigned char *)p;
  while (n--) *b++ = 0;
}

/* pts_sockaddr_ip4 fills *sa with the dotted-quad IPv4 address ip
 * ("1.2.3.4") and port. Returns PTS_EINVAL for malformed text. */
static inline pts_errno_t pts_sockaddr_ip4(pts_sockaddr *sa, const char *ip, uint16_t port) {
  uint8_t a[4];
  int i;
  pts__zero(sa, sizeof *sa);
  for (i = 0; i < 4; i++) {
    unsigned v = 0, digits = 0;
    while (*ip >= '0' && *ip <= '9') {
      v = v * 10 + (unsigned)(*ip++ - '0');
      if (++digits > 3 || v > 255) return PTS_EINVAL;
    }
    if (digits == 0) return PTS_EINVAL;
    a[i] = (uint8_t)v;
    if (i < 3 && *ip++ != '.') return PTS_EINVAL;
  }
  if (*ip != '\0') return PTS_EINVAL;
  sa->family = PTS_AF_INET;
  sa->port = port;
  for (i = 0; i < 4; i++) sa->addr[i] = a[i];
  return 0;
}

static inline int pts__hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* pts_sockaddr_ip6 fills *sa with the IPv6 address ip ("::1",
 * "fe80::1%2" with a numeric scope, "::ffff:1.2.3.4") and port. */
static inline pts_errno_t pts_sockaddr_ip6(pts_sockaddr *sa, const char *ip, uint16_t port) {
  uint8_t a[16];
  int n = 0, gap = -1, i;
  pts__zero(sa, sizeof *sa);
  pts__zero(a, sizeof a);
  if (ip[0] == ':') {
    if (ip[1] != ':') return PTS_EINVAL;
    gap = 0;
    ip += 2;
  }
  while (*ip != '\0' && *ip != '%') {
    const char *start = ip;
    unsigned v = 0;
    int digits = 0, h;
    if (n == 16) return PTS_EINVAL;
    while ((h = pts__hex(*ip)) >= 0) {
      v = v * 16 + (unsigned)h;
      ip++;
      if (++digits > 4) return PTS_EINVAL;
    }
    if (*ip == '.') { /* an embedded IPv4 address ends the text */
      pts_sockaddr v4;
      char tmp[16];
      int k = 0;
      if (n > 12) return PTS_EINVAL;
      ip = start;
      while (*ip != '\0' && *ip != '%' && k < 15) tmp[k++] = *ip++;
      tmp[k] = '\0';
      if (pts_sockaddr_ip4(&v4, tmp, 0) != 0) return PTS_EINVAL;
      for (k = 0; k < 4; k++) a[n++] = v4.addr[k];
      break;
    }
    if (digits == 0) return PTS_EINVAL;
    a[n++] = (uint8_t)(v >> 8);
    a[n++] = (uint8_t)v;
    if (*ip == ':') {
      ip++;
      if (*ip == ':') {
        if (gap >= 0) return PTS_EINVAL;
        gap = n;
        ip++;
      } else if (*ip == '\0' || *ip == '%') {
        return PTS_EINVAL;
      }
    }
  }
  if (gap >= 0) {
    int tail = n - gap;
    if (n == 16) return PTS_EINVAL;
    for (i = 0; i < tail; i++) a[15 - i] = a[n - 1 - i];
    for (i = gap; i < 16 - tail; i++) a[i] = 0;
  } else if (n != 16) {
    return PTS_EINVAL;
  }
  if (*ip == '%') {
    uint32_t scope = 0;
    ip++;
    if (*ip == '\0') return PTS_EINVAL;
    while (*ip >= '0' && *ip <= '9') scope = scope * 10 + (uint32_t)(*ip++ - '0');
    if (*ip != '\0') return PTS_EINVAL; /* only numeric zones */
    sa->scope_id = scope;
  }
  sa->family = PTS_AF_INET6;
  sa->port = port;
  for (i = 0; i < 16; i++) sa->addr[i] = a[i];
  return 0;
}

/* pts_sockaddr_ip fills *sa from an IPv4 or IPv6 address. */
static inline pts_errno_t pts_sockaddr_ip(pts_sockaddr *sa, const char *ip, uint16_t port) {
  if (pts_sockaddr_ip4(sa, ip, port) == 0) return 0;
  return pts_sockaddr_ip6(sa, ip, port);
}

/* pts_sockaddr_unix fills *sa with an AF_UNIX path; PTS_ENAMETOOLONG if it
 * does not fit with its NUL. */
static inline pts_errno_t pts_sockaddr_unix(pts_sockaddr *sa, const char *path) {
  size_t i;
  pts__zero(sa, sizeof *sa);
  for (i = 0; path[i] != '\0'; i++) {
    if (i + 1 >= sizeof sa->path) return PTS_ENAMETOOLONG;
    sa->path[i] = path[i];
  }
  sa->family = PTS_AF_UNIX;
  return 0;
}

static inline size_t pts__put(char *buf, size_t cap, size_t at, char c) {
  if (at + 1 < cap) buf[at] = c;
  return at + 1;
}

static inline size_t pts__put_uint(char *buf, size_t cap, size_t at, uint32_t v, unsigned base) {
  char d[10];
  int k = 0;
  do {
    d[k++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v != 0);
  while (k > 0) at = pts__put(buf, cap, at, d[--k]);
  return at;
}

/* pts_sockaddr_format writes sa as text ("1.2.3.4:80", "[::1]:80",
 * "[fe80::1%2]:80", or the AF_UNIX path) into buf, NUL-terminated and
 * truncated to cap bytes; returns the full length (as snprintf). */
static inline size_t pts_sockaddr_format(const pts_sockaddr *sa, char *buf, size_t cap) {
  size_t at = 0;
  int i;
  if (sa->family == PTS_AF_INET) {
    for (i = 0; i < 4; i++) {
      if (i > 0) at = pts__put(buf, cap, at, '.');
      at = pts__put_uint(buf, cap, at, sa->addr[i], 10);
    }
  } else if (sa->family == PTS_AF_INET6) {
    int best = -1, bestlen = 0;
    for (i = 0; i < 8; i++) { /* the longest run of zero groups, if > 1 */
      int j = i;
      while (j < 8 && sa->addr[2 * j] == 0 && sa->addr[2 * j + 1] == 0) j++;
      if (j - i > bestlen && j - i > 1) best = i, bestlen = j - i;
      if (j > i) i = j;
    }
    at = pts__put(buf, cap, at, '[');
    for (i = 0; i < 8; i++) {
      if (i == best) {
        at = pts__put(buf, cap, at, ':');
        at = pts__put(buf, cap, at, ':');
        i += bestlen - 1;
        continue;
      }
      if (i > 0 && i != best + bestlen) at = pts__put(buf, cap, at, ':');
      at = pts__put_uint(buf, cap, at, (uint32_t)sa->addr[2 * i] << 8 | sa->addr[2 * i + 1], 16);
    }
    if (sa->scope_id != 0) {
      at = pts__put(buf, cap, at, '%');
      at = pts__put_uint(buf, cap, at, sa->scope_id, 10);
    }
    at = pts__put(buf, cap, at, ']');
  } else if (sa->family == PTS_AF_UNIX) {
    for (i = 0; i < (int)sizeof sa->path && sa->path[i] != '\0'; i++) at = pts__put(buf, cap, at, sa->path[i]);
    if (cap > 0) buf[at < cap ? at : cap - 1] = '\0';
    return at;
  }
  if (sa->family == PTS_AF_INET || sa->family == PTS_AF_INET6) {
    at = pts__put(buf, cap, at, ':');
    at = pts__put_uint(buf, cap, at, sa->port, 10);
  }
  if (cap > 0) buf[at < cap ? at : cap - 1] = '\0';
  return at;
}

/* pts_tcp_connect makes a blocking TCP socket connected to ip:port (IPv4
 * or IPv6 text) and stores it in *fd. Needs a connect grant. */
static inline pts_errno_t pts_tcp_connect(const char *ip, uint16_t port, int32_t *fd) {
  pts_sockaddr sa;
  int32_t s;
  pts_errno_t e = pts_sockaddr_ip(&sa, ip, port);
  if (e != 0) return e;
  e = pts_socket(sa.family, PTS_SOCK_STREAM, 0, &s);
  if (e != 0) return e;
  e = pts_connect(s, &sa);
  if (e != 0) {
    pts_close(s);
    return e;
  }
  *fd = s;
  return 0;
}

/* pts_tcp_listen makes a TCP socket bound to ip:port (SO_REUSEADDR on) and
 * listening, and stores it in *fd. Needs a bind grant. */
static inline pts_errno_t pts_tcp_listen(const char *ip, uint16_t port, int32_t backlog, int32_t *fd) {
  pts_sockaddr sa;
  int32_t s, one = 1;
  pts_errno_t e = pts_sockaddr_ip(&sa, ip, port);
  if (e != 0) return e;
  e = pts_socket(sa.family, PTS_SOCK_STREAM, 0, &s);
  if (e != 0) return e;
  pts_setsockopt(s, PTS_SOL_SOCKET, PTS_SO_REUSEADDR, &one, sizeof one);
  e = pts_bind(s, &sa);
  if (e == 0) e = pts_listen(s, backlog);
  if (e != 0) {
    pts_close(s);
    return e;
  }
  *fd = s;
  return 0;
}

/* pts_set_timeout_ns sets SO_RCVTIMEO or SO_SNDTIMEO (name) to ns
 * nanoseconds (0: none): blocking calls waiting longer fail with
 * PTS_ETIMEDOUT. */
static inline pts_errno_t pts_set_timeout_ns(int32_t fd, int32_t name, int64_t ns) {
  return pts_setsockopt(fd, PTS_SOL_SOCKET, name, &ns, sizeof ns);
}

/* pts_wait polls fd for events (PTS_POLLIN, PTS_POLLOUT) up to timeout_ns
 * (negative: no limit); returns PTS_ETIMEDOUT when it passes. */
static inline pts_errno_t pts_wait(int32_t fd, uint16_t events, int64_t timeout_ns) {
  pts_pollfd p;
  uint32_t n = 0;
  pts_errno_t e;
  p.fd = fd;
  p.events = events;
  p.revents = 0;
  e = pts_poll(&p, 1, timeout_ns, &n);
  if (e != 0) return e;
  if (n == 0) return PTS_ETIMEDOUT;
  if (p.revents & PTS_POLLNVAL) return PTS_EBADF;
  return 0;
}

/* pts_write_all writes all len bytes of buf to fd. On a non-blocking
 * descriptor it waits with poll when the host says PTS_EAGAIN. *written
 * (may be NULL) receives what was written, also on an error. */
static inline pts_errno_t pts_write_all(int32_t fd, const void *buf, uint32_t len, uint32_t *written) {
  const unsigned char *p = (const unsigned char *)buf;
  uint32_t done = 0;
  pts_errno_t e = 0;
  while (done < len) {
    uint32_t n = 0;
    e = pts_write(fd, p + done, len - done, &n);
    if (e == PTS_EAGAIN) {
      e = pts_wait(fd, PTS_POLLOUT, -1);
      if (e != 0) break;
      continue;
    }
    if (e != 0) break;
    done += n;
  }
  if (written) *written = done;
  return e;
}

/* pts_read_full reads until len bytes or end of stream; *got (may be
 * NULL) receives how many were read (less than len only at end of stream
 * or on an error). Waits on PTS_EAGAIN. */
static inline pts_errno_t pts_read_full(int32_t fd, void *buf, uint32_t len, uint32_t *got) {
  unsigned char *p = (unsigned char *)buf;
  uint32_t done = 0;
  pts_errno_t e = 0;
  while (done < len) {
    uint32_t n = 0;
    e = pts_read(fd, p + done, len - done, &n);
    if (e == PTS_EAGAIN) {
      e = pts_wait(fd, PTS_POLLIN, -1);
      if (e != 0) break;
      continue;
    }
    if (e != 0 || n == 0) break;
    done += n;
  }
  if (got) *got = done;
  return e;
}

/* pts_read_line reads one line (with its '\n', if any) into buf through
 * the host's line buffer (one import call per line) and NUL-terminates it;
 * *len receives its length without the NUL: 0 means end of stream. A line
 * longer than cap-1 bytes comes in pieces. Waits on PTS_EAGAIN. */
static inline pts_errno_t pts_read_line(int32_t fd, char *buf, uint32_t cap, uint32_t *len) {
  uint32_t n = 0;
  pts_errno_t e;
  if (cap == 0) return PTS_EINVAL;
  for (;;) {
    e = pts_readline(fd, buf, cap - 1, &n);
    if (e != PTS_EAGAIN) break;
    e = pts_wait(fd, PTS_POLLIN, -1);
    if (e != 0) return e;
  }
  if (e != 0) {
    buf[0] = '\0';
    return e;
  }
  buf[n] = '\0';
  *len = n;
  return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* PTSEVENT_HELPERS_H */
