// hello-c-app is the example gateway app in C: the same routes as the Go
// app (examples/wasm/hello) on the gateway helpers of
// ptsevent_gateway.h (over the raw imports of ptsevent.h).
//
//   make wasm     # build/wasm/hello-c-app.wasm (-mexec-model=reactor, from build.flags)
//   ptsevent serve build/wasm/hello-c-app.wasm --listen 127.0.0.1:8080
//   curl http://127.0.0.1:8080/
//   curl -d 'some text' http://127.0.0.1:8080/echo
//   curl http://127.0.0.1:8080/env
//   curl 'http://127.0.0.1:8080/sleep?ms=500'
//
// A reactor exports pts_handle, which the host calls once per request on a
// long-lived instance (one request at a time; the host pools instances).
// The request is the descriptor fd: req_environ gives its CGI/WSGI
// environ, read its body, start_response its status and headers, write
// its body; returning (or close(fd)) ends the response.
#include <ptsevent_gateway.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char env_buf[16384];

static const char text_plain[] = "text/plain; charset=utf-8";

static int32_t respond(int32_t fd, const char *status, const char *body, size_t n) {
  return pts_gw_respond(fd, status, text_plain, body, (uint32_t)n) ? 1 : 0;
}

static const char *getenv_or_empty(const pts_gw_request *r, const char *key) {
  const char *v = pts_gw_getenv(r, key);
  return v ? v : "";
}

static int32_t echo(const pts_gw_request *r) {
  // Stream the body back as it comes: no Content-Length is declared, so
  // a short body gets one from the host and a long one is sent chunked.
  const char *ct = pts_gw_getenv(r, "CONTENT_TYPE");
  const char *headers[] = {"Content-Type", ct, 0};
  char scratch[512];
  if (pts_gw_start(r->fd, "200 OK", ct ? headers : 0, scratch, sizeof scratch, 0) != 0) return 1;
  static char buf[32768];
  for (;;) {
    uint32_t n = 0, w = 0;
    if (pts_read(r->fd, buf, sizeof buf, &n) != 0) return 1;
    if (n == 0) return 0;
    if (pts_write_all(r->fd, buf, n, &w) != 0) return 1;
  }
}

int32_t pts_handle(int32_t fd) {
  pts_gw_request r;
  if (pts_gw_begin(&r, fd, env_buf, sizeof env_buf) != 0) return 1;
  const char *path = getenv_or_empty(&r, "PATH_INFO");
  if (strcmp(path, "/") == 0) return respond(fd, "200 OK", "Hello, World!\n", 14);
  if (strcmp(path, "/echo") == 0) return echo(&r);
  if (strcmp(path, "/env") == 0) {
    char body[2048];
    int n = snprintf(body, sizeof body, "method: %s\npath: %s\nquery: %s\nproto: %s\nhost: %s\nremote: %s:%s\nuser-agent: %s\n",
                     getenv_or_empty(&r, "REQUEST_METHOD"), path, getenv_or_empty(&r, "QUERY_STRING"),
                     getenv_or_empty(&r, "SERVER_PROTOCOL"), getenv_or_empty(&r, "HTTP_HOST"),
                     getenv_or_empty(&r, "REMOTE_ADDR"), getenv_or_empty(&r, "REMOTE_PORT"),
                     getenv_or_empty(&r, "HTTP_USER_AGENT"));
    if (n < 0 || n >= (int)sizeof body) n = (int)sizeof body - 1;
    return respond(fd, "200 OK", body, (size_t)n);
  }
  if (strcmp(path, "/sleep") == 0) {
    long ms = 100;
    const char *q = strstr(getenv_or_empty(&r, "QUERY_STRING"), "ms=");
    if (q) ms = strtol(q + 3, NULL, 10);
    if (ms <= 0) ms = 100;
    pts_sleep((int64_t)ms * 1000000);  // suspends this request only
    char body[64];
    int n = snprintf(body, sizeof body, "slept %ldms\n", ms);
    return respond(fd, "200 OK", body, (size_t)n);
  }
  return respond(fd, "404 Not Found", "404 page not found\n", 19);
}
