/* conformance-c-gateway: the gateway app of the conformance suite
 * (tests/conformance), in C: a reactor exporting pts_handle, served by the
 * runner with wsgi-host's HTTP server. Each path checks one part of the
 * gateway ABI (req_environ, start_response, and read/write on the request
 * descriptor) and reports check lines on stdout (check.h); the runner's
 * HTTP client checks what the responses look like.
 *
 *   GET  /environ?x=1&y=2   req_environ: ERANGE and the size, then the keys
 *   POST /echo              readline then read the body, echo it back
 *   POST /readv             readv the body, answer its length, writev
 *   GET  /headers           headers, writev, a flushing zero-length write
 *   GET  /bad-status        an invalid status: EINVAL, then 500
 *   GET  /bad-header        a header value with CR LF: EINVAL, then 500
 *   GET  /write-first       write before start_response: EPROTO
 *   GET  /twice             a second start_response: EALREADY, then with
 *                           START_RESPONSE_EXC_INFO: replaced (203)
 *   GET  /late              START_RESPONSE_EXC_INFO after the head went out
 *   GET  /efault            bad pointers (efault/req_environ/..., efault/
 *                           start_response/...), then 200
 *   GET  /not-a-request     req_environ and start_response on a pipe: EINVAL
 *   GET  /close             close(fd) ends the response; fd is gone after
 *   GET  /abort-early       req_abort before anything went out: 500
 *   GET  /abort-late        req_abort after the head and part of the body
 *                           went out: the response is cut short
 */
#include <ptsevent.h>
#include <string.h>

#include "../include/check.h"

#define BAD ((void *)0xfffffff0u)
#define WRAP 0xffffffffu

static char env[16384];
static uint32_t env_len;

/* lookup returns the environ value of key, or NULL. */
static const char *lookup(const char *key) {
  uint32_t i = 0;
  while (i < env_len) {
    const char *k = env + i;
    const char *v = k + strlen(k) + 1;
    if (strcmp(k, key) == 0) return v;
    i += strlen(k) + 1 + strlen(v) + 1;
  }
  return NULL;
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

static const char text_plain[] = "Content-Type\0text/plain\0";

static int32_t respond(int32_t fd, const char *status, const char *body) {
  if (pts_start_response(fd, status, strlen(status), text_plain, sizeof text_plain - 1, 0)) return 1;
  return write_all(fd, body, strlen(body)) ? 1 : 0;
}

static void env_is(const char *name, const char *key, const char *want) {
  const char *v = lookup(key);
  if (v && strcmp(v, want) == 0) {
    ok(name);
    return;
  }
  fail(name, "%s=%s, want %s", key, v ? v : "(absent)", want);
}

static int32_t environ_route(int32_t fd) {
  uint32_t size = 0;
  static char small[4];
  expect("gw/req_environ-erange", pts_req_environ(fd, small, sizeof small, &size), PTS_ERANGE);
  that("gw/req_environ-size", size == env_len && size > 0, "the size differs from the first call's");
  uint32_t again = 0;
  expect("gw/req_environ-exact", pts_req_environ(fd, env, size, &again), 0);
  that("gw/env-first-key", strcmp(env, "REQUEST_METHOD") == 0, env);
  env_is("gw/env/REQUEST_METHOD", "REQUEST_METHOD", "GET");
  env_is("gw/env/SCRIPT_NAME", "SCRIPT_NAME", "");
  env_is("gw/env/PATH_INFO", "PATH_INFO", "/environ");
  env_is("gw/env/QUERY_STRING", "QUERY_STRING", "x=1&y=2");
  env_is("gw/env/REQUEST_URI", "REQUEST_URI", "/environ?x=1&y=2");
  env_is("gw/env/SERVER_PROTOCOL", "SERVER_PROTOCOL", "HTTP/1.1");
  env_is("gw/env/REMOTE_ADDR", "REMOTE_ADDR", "127.0.0.1");
  env_is("gw/env/URL_SCHEME", "URL_SCHEME", "http");
  env_is("gw/env/HTTP_X_CONFORMANCE", "HTTP_X_CONFORMANCE", "yes");
  env_is("gw/env/HTTP_COOKIE", "HTTP_COOKIE", "a=1; b=2");
  const char *keys[] = {"SERVER_NAME", "SERVER_PORT", "REMOTE_PORT"};
  for (int i = 0; i < 3; i++) {
    const char *v = lookup(keys[i]);
    char name[64] = "gw/env/";
    strcat(name, keys[i]);
    that(name, v && *v, "missing or empty");
  }
  that("gw/env-no-content-length", lookup("CONTENT_LENGTH") == NULL, "CONTENT_LENGTH on a GET without a body");
  return respond(fd, "200 OK", "environ checked\n");
}

static int32_t echo_route(int32_t fd) {
  static char line[256], body[1 << 20];
  uint32_t n = 0, total = 0;
  expect("gw/readline-body", pts_readline(fd, line, sizeof line - 1, &n), 0);
  line[n] = 0;
  that("gw/readline-first-line", strcmp(line, "first line\n") == 0, line);
  memcpy(body, line, n);
  total = n;
  for (;;) {
    pts_errno_t e = pts_read(fd, body + total, sizeof body - total, &n);
    if (e != 0) {
      fail("gw/read-body", "read: %s", pts_errno_name(e));
      return 1;
    }
    if (n == 0) break;
    total += n;
  }
  ok("gw/read-body");
  static const char h[] = "Content-Type\0application/octet-stream\0X-Echo\0yes\0";
  expect("gw/start_response", pts_start_response(fd, "200 OK", 6, h, sizeof h - 1, 0), 0);
  expect("gw/write-body", write_all(fd, body, total), 0);
  return 0;
}

static int32_t readv_route(int32_t fd) {
  static char a[7], b[100000];
  pts_iovec iov[2] = {{a, sizeof a}, {b, sizeof b}};
  uint32_t total = 0, n = 0;
  for (;;) {
    pts_errno_t e = pts_readv(fd, iov, 2, &n);
    if (e != 0) {
      fail("gw/readv-body", "readv: %s", pts_errno_name(e));
      return 1;
    }
    if (n == 0) break;
    total += n;
  }
  ok("gw/readv-body");
  char digits[16];
  int k = 0;
  uint32_t v = total;
  do digits[k++] = '0' + v % 10; while (v /= 10);
  char out[16];
  for (int i = 0; i < k; i++) out[i] = digits[k - 1 - i];
  out[k] = '\n';
  expect("gw/start_response", pts_start_response(fd, "200 OK", 6, text_plain, sizeof text_plain - 1, 0), 0);
  pts_iovec w[2] = {{"length ", 7}, {out, (uint32_t)k + 1}};
  expect("gw/writev", pts_writev(fd, w, 2, &n), 0);
  return 0;
}

static int32_t headers_route(int32_t fd) {
  static const char h[] = "Content-Type\0text/plain\0X-One\0a\0X-Two\0b c\0";
  uint32_t n;
  expect("gw/start_response-headers", pts_start_response(fd, "201 Created", 11, h, sizeof h - 1, 0), 0);
  pts_iovec w[2] = {{"gathered ", 9}, {"body\n", 5}};
  expect("gw/writev", pts_writev(fd, w, 2, &n), 0);
  expect("gw/flush", pts_write(fd, "", 0, &n), 0);
  expect("gw/write-after-flush", write_all(fd, "more\n", 5), 0);
  return 0;
}

static int32_t bad_status_route(int32_t fd) {
  uint32_t n;
  expect("gw/bad-status", pts_start_response(fd, "99 Bad", 6, text_plain, sizeof text_plain - 1, 0), PTS_EINVAL);
  expect("gw/after-failure", pts_start_response(fd, "200 OK", 6, text_plain, sizeof text_plain - 1, 0), PTS_EINVAL);
  expect("gw/write-after-failure", pts_write(fd, "x", 1, &n), PTS_EPROTO);
  return 0;
}

static int32_t bad_header_route(int32_t fd) {
  static const char h[] = "X-Bad\0a\r\nInjected: yes\0";
  expect("gw/bad-header", pts_start_response(fd, "200 OK", 6, h, sizeof h - 1, 0), PTS_EINVAL);
  static const char name[] = "Bad Name\0x\0";
  expect("gw/bad-header-name", pts_start_response(fd, "200 OK", 6, name, sizeof name - 1, 0), PTS_EINVAL);
  return 0;
}

static int32_t write_first_route(int32_t fd) {
  uint32_t n;
  expect("gw/write-before-start", pts_write(fd, "early", 5, &n), PTS_EPROTO);
  return respond(fd, "200 OK", "started late\n");
}

static int32_t twice_route(int32_t fd) {
  expect("gw/start_response", pts_start_response(fd, "200 OK", 6, text_plain, sizeof text_plain - 1, 0), 0);
  write_all(fd, "dropped", 7);
  expect("gw/second-ealready", pts_start_response(fd, "500 Oops", 8, text_plain, sizeof text_plain - 1, 0), PTS_EALREADY);
  expect("gw/exc-info-replaces", pts_start_response(fd, "203 Replaced", 12, text_plain, sizeof text_plain - 1, PTS_START_RESPONSE_EXC_INFO), 0);
  return write_all(fd, "replaced\n", 9) ? 1 : 0;
}

static int32_t late_route(int32_t fd) {
  uint32_t n;
  expect("gw/start_response", pts_start_response(fd, "200 OK", 6, text_plain, sizeof text_plain - 1, 0), 0);
  write_all(fd, "sent ", 5);
  pts_write(fd, "", 0, &n); /* the head and "sent " go out */
  expect("gw/exc-info-too-late", pts_start_response(fd, "500 Oops", 8, text_plain, sizeof text_plain - 1, PTS_START_RESPONSE_EXC_INFO), PTS_EALREADY);
  return write_all(fd, "anyway\n", 7) ? 1 : 0;
}

static int32_t efault_route(int32_t fd) {
  uint32_t size;
  expect("efault/req_environ/buf", pts_req_environ(fd, BAD, 64, &size), PTS_EFAULT);
  expect("efault/req_environ/buf-wrap", pts_req_environ(fd, env, WRAP, &size), PTS_EFAULT);
  expect("efault/req_environ/env_size", pts_req_environ(fd, env, sizeof env, BAD), PTS_EFAULT);
  expect("efault/start_response/status", pts_start_response(fd, BAD, 6, text_plain, sizeof text_plain - 1, 0), PTS_EFAULT);
  expect("efault/start_response/status-wrap", pts_start_response(fd, "200 OK", WRAP, text_plain, sizeof text_plain - 1, 0), PTS_EFAULT);
  expect("efault/start_response/headers", pts_start_response(fd, "200 OK", 6, BAD, 16, 0), PTS_EFAULT);
  expect("efault/start_response/headers-wrap", pts_start_response(fd, "200 OK", 6, text_plain, WRAP, 0), PTS_EFAULT);
  /* None of them had an effect: the response can still start. */
  return respond(fd, "200 OK", "pointers checked\n");
}

static int32_t not_a_request_route(int32_t fd) {
  int32_t p[2];
  uint32_t size;
  MUST("pipe", pts_pipe(0, p));
  expect("gw/req_environ-einval", pts_req_environ(p[0], env, sizeof env, &size), PTS_EINVAL);
  expect("gw/start_response-einval", pts_start_response(p[1], "200 OK", 6, "", 0, 0), PTS_EINVAL);
  expect("gw/req_abort-einval", pts_req_abort(p[0]), PTS_EINVAL);
  pts_close(p[0]);
  pts_close(p[1]);
  return respond(fd, "200 OK", "not a request\n");
}

static int32_t close_route(int32_t fd) {
  uint32_t size;
  respond(fd, "200 OK", "closed early\n");
  expect("gw/close", pts_close(fd), 0);
  expect("gw/after-close", pts_req_environ(fd, env, sizeof env, &size), PTS_EBADF);
  return 0;
}

static int32_t abort_early_route(int32_t fd) {
  uint32_t n;
  expect("gw/start_response", pts_start_response(fd, "200 OK", 6, text_plain, sizeof text_plain - 1, 0), 0);
  write_all(fd, "dropped", 7); /* buffered, never sent */
  expect("gw/abort-early", pts_req_abort(fd), 0);
  expect("gw/abort-early-epipe", pts_write(fd, "more", 4, &n), PTS_EPIPE);
  return 0; /* returning 0 does not undo the abort */
}

static int32_t abort_late_route(int32_t fd) {
  uint32_t n;
  expect("gw/start_response", pts_start_response(fd, "200 OK", 6, text_plain, sizeof text_plain - 1, 0), 0);
  write_all(fd, "partial ", 8);
  pts_write(fd, "", 0, &n); /* the head (chunked) and "partial " go out */
  expect("gw/abort-late", pts_req_abort(fd), 0);
  expect("gw/abort-late-epipe", pts_write(fd, "more", 4, &n), PTS_EPIPE);
  return 0;
}

int32_t pts_handle(int32_t fd) {
  if (pts_req_environ(fd, env, sizeof env, &env_len) != 0) {
    fail("gw/req_environ", "the first req_environ failed");
    return 1;
  }
  const char *path = lookup("PATH_INFO");
  if (!path) path = "";
  if (strcmp(path, "/environ") == 0) return environ_route(fd);
  if (strcmp(path, "/echo") == 0) return echo_route(fd);
  if (strcmp(path, "/readv") == 0) return readv_route(fd);
  if (strcmp(path, "/headers") == 0) return headers_route(fd);
  if (strcmp(path, "/bad-status") == 0) return bad_status_route(fd);
  if (strcmp(path, "/bad-header") == 0) return bad_header_route(fd);
  if (strcmp(path, "/write-first") == 0) return write_first_route(fd);
  if (strcmp(path, "/twice") == 0) return twice_route(fd);
  if (strcmp(path, "/late") == 0) return late_route(fd);
  if (strcmp(path, "/efault") == 0) return efault_route(fd);
  if (strcmp(path, "/not-a-request") == 0) return not_a_request_route(fd);
  if (strcmp(path, "/close") == 0) return close_route(fd);
  if (strcmp(path, "/abort-early") == 0) return abort_early_route(fd);
  if (strcmp(path, "/abort-late") == 0) return abort_late_route(fd);
  return respond(fd, "404 Not Found", "no such route\n");
}
