// Test app for the wsgihost tests: a blocking-style gateway guest in C
// (one request per instance), built as a reactor. Each path exercises one
// rule of the gateway; see server_test.go.
#include <ptsevent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char env[32768];
static uint32_t env_len;
static int count;           // requests this instance served (/count)
static pts_errno_t last_err; // errno of the last interesting call (/last)

// lookup returns the environ value of key, or NULL.
static const char *lookup(const char *key) {
  uint32_t i = 0;
  while (i < env_len) {
    const char *k = env + i;
    size_t kl = strlen(k);
    const char *v = k + kl + 1;
    size_t vl = strlen(v);
    if (strcmp(k, key) == 0) return v;
    i += kl + 1 + vl + 1;
  }
  return NULL;
}

// query returns the integer value of name in QUERY_STRING, or def.
static long query(const char *name, long def) {
  const char *q = lookup("QUERY_STRING");
  size_t n = strlen(name);
  while (q && *q) {
    if (strncmp(q, name, n) == 0 && q[n] == '=') return strtol(q + n + 1, NULL, 10);
    q = strchr(q, '&');
    if (q) q++;
  }
  return def;
}

static pts_errno_t write_all(int32_t fd, const void *p, size_t n) {
  const char *b = p;
  while (n > 0) {
    uint32_t w = 0;
    pts_errno_t e = pts_write(fd, b, (uint32_t)n, &w);
    if (e) return e;
    b += w;
    n -= w;
  }
  return 0;
}

static int text(int32_t fd, const char *status, const char *body) {
  static const char h[] = "Content-Type\0text/plain\0";
  if (pts_start_response(fd, status, strlen(status), h, sizeof h - 1, 0)) return 1;
  return write_all(fd, body, strlen(body)) ? 1 : 0;
}

static char *utoa(unsigned long v, char *end) {
  *--end = 0;
  do { *--end = '0' + v % 10; v /= 10; } while (v);
  return end;
}

// read_body reads the whole request body into a malloc'ed buffer.
static char *read_body(int32_t fd, size_t *len, pts_errno_t *err) {
  size_t cap = 4096, n = 0;
  char *b = malloc(cap);
  for (;;) {
    if (cap - n < 1024) b = realloc(b, cap *= 2);
    uint32_t r = 0;
    pts_errno_t e = pts_read(fd, b + n, (uint32_t)(cap - n), &r);
    if (e) { *err = e; break; }
    if (r == 0) { *err = 0; break; }
    n += r;
  }
  *len = n;
  return b;
}

int32_t pts_handle(int32_t fd) {
  count++;
  if (pts_req_environ(fd, env, sizeof env, &env_len)) return 1;
  const char *path = lookup("PATH_INFO");
  if (!strcmp(path, "/")) return text(fd, "200 OK", "Hello, World!\n");
  if (!strcmp(path, "/echo")) {
    size_t n;
    pts_errno_t e;
    char *b = read_body(fd, &n, &e);
    char num[24];
    char hdr[128];
    const char *ev = utoa(e, num + sizeof num);
    size_t hl = 0;
    memcpy(hdr, "X-Read-Errno", 13); hl = 13;
    memcpy(hdr + hl, ev, strlen(ev) + 1); hl += strlen(ev) + 1;
    if (pts_start_response(fd, "200 OK", 6, hdr, hl, 0)) return 1;
    e = write_all(fd, b, n);
    free(b);
    return e ? 1 : 0;
  }
  if (!strcmp(path, "/stream")) {
    // No Content-Length: chunked for HTTP/1.1 once the body is flushed
    // (more than 32 KiB, or flush=1: a zero-length write after each piece).
    long total = query("n", 100000), piece = query("piece", 1000), flush = query("flush", 0);
    if (pts_start_response(fd, "200 OK", 6, "", 0, 0)) return 1;
    char *buf = malloc(piece);
    for (long i = 0; i < piece; i++) buf[i] = 'a' + i % 26;
    for (long sent = 0; sent < total; sent += piece) {
      long k = total - sent < piece ? total - sent : piece;
      if (write_all(fd, buf, k)) return 1;
      if (flush) {
        uint32_t w;
        if (pts_write(fd, buf, 0, &w)) return 1;
      }
    }
    free(buf);
    return 0;
  }
  if (!strncmp(path, "/env", 4)) {
    static const char h[] = "Content-Type\0text/plain\0";
    if (pts_start_response(fd, "200 OK", 6, h, sizeof h - 1, 0)) return 1;
    for (uint32_t i = 0; i < env_len;) {
      const char *k = env + i;
      const char *v = k + strlen(k) + 1;
      write_all(fd, k, strlen(k));
      write_all(fd, "=", 1);
      write_all(fd, v, strlen(v));
      write_all(fd, "\n", 1);
      i += strlen(k) + 1 + strlen(v) + 1;
    }
    return 0;
  }
  if (!strcmp(path, "/count")) {
    char num[24];
    char *s = utoa(count, num + sizeof num - 1);
    num[sizeof num - 2] = '\n';
    return text(fd, "200 OK", s);
  }
  if (!strcmp(path, "/last")) {
    char num[24];
    return text(fd, "200 OK", utoa(last_err, num + sizeof num));
  }
  if (!strcmp(path, "/trap")) __builtin_trap();
  if (!strcmp(path, "/loop")) {
    volatile unsigned long x = 0;
    for (;;) x++;
  }
  if (!strcmp(path, "/sleep")) {
    pts_sleep(query("ms", 100) * 1000000LL);
    return text(fd, "200 OK", "slept\n");
  }
  if (!strcmp(path, "/inject")) {
    // A header value with CR LF: refused, and the request is failed (500)
    // whatever the guest does next.
    static const char bad[] = "X-Bad\0a\r\nInjected: yes\0";
    last_err = pts_start_response(fd, "200 OK", 6, bad, sizeof bad - 1, 0);
    static const char good[] = "X-Good\0yes\0";
    pts_start_response(fd, "200 OK", 6, good, sizeof good - 1, 0);
    uint32_t w;
    pts_write(fd, "body", 4, &w);
    return 0;
  }
  if (!strcmp(path, "/badstatus")) {
    last_err = pts_start_response(fd, "200 OK\r\nX: y", 12, "", 0, 0);
    return 0;
  }
  if (!strcmp(path, "/cl-over")) {
    // Content-Length 5, 11 bytes written: only 5 go out, the rest is EFBIG.
    static const char h[] = "Content-Length\0" "5\0";
    if (pts_start_response(fd, "200 OK", 6, h, sizeof h - 1, 0)) return 1;
    uint32_t w = 0;
    pts_write(fd, "hello world", 11, &w);
    last_err = pts_write(fd, "more", 4, &w);
    return 0;
  }
  if (!strcmp(path, "/cl-short")) {
    static const char h[] = "Content-Length\0" "10\0";
    if (pts_start_response(fd, "200 OK", 6, h, sizeof h - 1, 0)) return 1;
    return write_all(fd, "12345", 5) ? 1 : 0;
  }
  if (!strcmp(path, "/exc")) {
    // PEP 3333 exc_info: a second start_response before anything went out
    // replaces the first, and the body written so far is dropped.
    static const char h1[] = "X-First\0" "1\0";
    static const char h2[] = "X-Second\0" "2\0";
    pts_start_response(fd, "200 OK", 6, h1, sizeof h1 - 1, 0);
    write_all(fd, "partial", 7);
    last_err = pts_start_response(fd, "200 OK", 6, h1, sizeof h1 - 1, 0); // EALREADY
    if (pts_start_response(fd, "500 Oops", 8, h2, sizeof h2 - 1, PTS_START_RESPONSE_EXC_INFO)) return 1;
    return write_all(fd, "error page\n", 11) ? 1 : 0;
  }
  if (!strcmp(path, "/exc-late")) {
    pts_start_response(fd, "200 OK", 6, "", 0, 0);
    static char big[40000];
    memset(big, 'x', sizeof big);
    write_all(fd, big, sizeof big);
    last_err = pts_start_response(fd, "500 Oops", 8, "", 0, PTS_START_RESPONSE_EXC_INFO);
    return 1;
  }
  if (!strcmp(path, "/early-write")) {
    uint32_t w;
    last_err = pts_write(fd, "x", 1, &w); // EPROTO: before start_response
    return text(fd, "200 OK", "ok\n");
  }
  if (!strcmp(path, "/nostart")) return 0;
  if (!strcmp(path, "/fail")) return 7;
  if (!strcmp(path, "/close-early")) {
    // close ends the response; the guest goes on afterwards.
    text(fd, "200 OK", "closed\n");
    pts_close(fd);
    pts_sleep(50 * 1000000LL);
    return 0;
  }
  if (!strcmp(path, "/204")) {
    if (pts_start_response(fd, "204 No Content", 14, "", 0, 0)) return 1;
    return write_all(fd, "ignored", 7) ? 1 : 0;
  }
  if (!strcmp(path, "/noread")) return text(fd, "200 OK", "did not read\n");
  if (!strcmp(path, "/readline")) {
    char line[256];
    int lines = 0;
    for (;;) {
      uint32_t r = 0;
      if (pts_readline(fd, line, sizeof line, &r) || r == 0) break;
      lines++;
    }
    char num[24];
    return text(fd, "200 OK", utoa(lines, num + sizeof num));
  }
  return text(fd, "404 Not Found", "not found\n");
}
