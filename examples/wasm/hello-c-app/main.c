// hello-c-app is the example gateway app in C: the same routes as the Go
// app (examples/wasm/hello) on the raw gateway imports of ptsevent.h.
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
#include <ptsevent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char env[16384];
static uint32_t env_len;

// lookup returns the environ value of key, or "".
static const char *lookup(const char *key) {
  for (uint32_t i = 0; i < env_len;) {
    const char *k = env + i;
    const char *v = k + strlen(k) + 1;
    if (strcmp(k, key) == 0) return v;
    i += strlen(k) + 1 + strlen(v) + 1;
  }
  return "";
}

static int write_all(int32_t fd, const char *p, size_t n) {
  while (n > 0) {
    uint32_t w = 0;
    if (pts_write(fd, p, (uint32_t)n, &w) != 0) return -1;
    p += w;
    n -= w;
  }
  return 0;
}

static const char text_plain[] = "Content-Type\0text/plain; charset=utf-8\0";

static int32_t respond(int32_t fd, const char *status, const char *body, size_t n) {
  if (pts_start_response(fd, status, strlen(status), text_plain, sizeof text_plain - 1, 0) != 0) return 1;
  return write_all(fd, body, n) ? 1 : 0;
}

static int32_t echo(int32_t fd) {
  // Stream the body back as it comes: no Content-Length is declared, so
  // a short body gets one from the host and a long one is sent chunked.
  const char *ct = lookup("CONTENT_TYPE");
  char headers[512];
  size_t hl = 0;
  if (*ct && strlen(ct) < sizeof headers - 16) {
    memcpy(headers, "Content-Type", 13);
    hl = 13;
    memcpy(headers + hl, ct, strlen(ct) + 1);
    hl += strlen(ct) + 1;
  }
  if (pts_start_response(fd, "200 OK", 6, headers, hl, 0) != 0) return 1;
  static char buf[32768];
  for (;;) {
    uint32_t n = 0;
    if (pts_read(fd, buf, sizeof buf, &n) != 0) return 1;
    if (n == 0) return 0;
    if (write_all(fd, buf, n)) return 1;
  }
}

int32_t pts_handle(int32_t fd) {
  if (pts_req_environ(fd, env, sizeof env, &env_len) != 0) return 1;
  const char *path = lookup("PATH_INFO");
  if (strcmp(path, "/") == 0) return respond(fd, "200 OK", "Hello, World!\n", 14);
  if (strcmp(path, "/echo") == 0) return echo(fd);
  if (strcmp(path, "/env") == 0) {
    char body[2048];
    int n = snprintf(body, sizeof body, "method: %s\npath: %s\nquery: %s\nproto: %s\nhost: %s\nremote: %s:%s\nuser-agent: %s\n",
                     lookup("REQUEST_METHOD"), path, lookup("QUERY_STRING"), lookup("SERVER_PROTOCOL"),
                     lookup("HTTP_HOST"), lookup("REMOTE_ADDR"), lookup("REMOTE_PORT"), lookup("HTTP_USER_AGENT"));
    if (n < 0 || n >= (int)sizeof body) n = (int)sizeof body - 1;
    return respond(fd, "200 OK", body, (size_t)n);
  }
  if (strcmp(path, "/sleep") == 0) {
    long ms = 100;
    const char *q = strstr(lookup("QUERY_STRING"), "ms=");
    if (q) ms = strtol(q + 3, NULL, 10);
    if (ms <= 0) ms = 100;
    pts_sleep((int64_t)ms * 1000000);  // suspends this request only
    char body[64];
    int n = snprintf(body, sizeof body, "slept %ldms\n", ms);
    return respond(fd, "200 OK", body, (size_t)n);
  }
  return respond(fd, "404 Not Found", "404 page not found\n", 19);
}
