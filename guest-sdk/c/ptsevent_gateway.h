/* ptsevent_gateway.h: static inline helpers for C gateway apps (the
 * blocking-style guests `ptsevent serve` calls through pts_handle).
 * Header-only, no libc needed.
 *
 *   pts_gw_request     one request: its descriptor and its environ
 *   pts_gw_begin       load the environ (req_environ) into a caller buffer
 *   pts_gw_getenv      look a key up ("PATH_INFO", "HTTP_HOST", ...)
 *   pts_gw_start       start_response from a NULL-terminated name/value list
 *   pts_gw_respond     start_response + the whole body in one call
 *
 * The body is read with pts_read/pts_read_line on the request descriptor
 * and written with pts_write/pts_write_all; returning from pts_handle (or
 * pts_close) ends the response. See abi/SPEC.md, "Gateway".
 */
#ifndef PTSEVENT_GATEWAY_H
#define PTSEVENT_GATEWAY_H

#include "ptsevent_helpers.h"

#ifdef __cplusplus
extern "C" {
#endif

/* pts_gw_request is a request being handled: its descriptor and its
 * environ, KEY\0VALUE\0 pairs in env[0:env_len]. */
typedef struct {
  int32_t fd;
  char *env;
  uint32_t env_len;
} pts_gw_request;

/* pts_gw_begin loads the environ of request fd into buf (cap bytes). When
 * the environ does not fit it returns PTS_ERANGE and stores the size it
 * needs in r->env_len, so the caller can retry with a larger buffer. */
static inline pts_errno_t pts_gw_begin(pts_gw_request *r, int32_t fd, char *buf, uint32_t cap) {
  r->fd = fd;
  r->env = buf;
  r->env_len = 0;
  return pts_req_environ(fd, buf, cap, &r->env_len);
}

static inline uint32_t pts__strlen(const char *s) {
  uint32_t n = 0;
  while (s[n]) n++;
  return n;
}

/* pts_gw_getenv returns the value of key in the request's environ, or
 * NULL when the key is absent. */
static inline const char *pts_gw_getenv(const pts_gw_request *r, const char *key) {
  /* One pass over the environ: each key is compared as it is walked,
   * and a value is skipped to its NUL (loops cost more in a guest than
   * natively: each iteration may be a termination check). */
  const char *p = r->env, *end = r->env + r->env_len;
  while (p < end) {
    const char *q = key;
    while (p < end && *p && *p == *q) p++, q++;
    int match = p < end && *p == 0 && *q == 0;
    while (p < end && *p) p++; /* the rest of the key */
    p++;
    if (match) return p < end ? p : 0;
    while (p < end && *p) p++; /* the value */
    p++;
  }
  return 0;
}

/* pts_gw_start sends the status ("200 OK") and headers, given as a
 * NULL-terminated list of name, value strings, through start_response.
 * scratch (cap bytes) holds the encoded header block; PTS_E2BIG when it is
 * too small. flags is 0 or PTS_START_RESPONSE_EXC_INFO. */
static inline pts_errno_t pts_gw_start(int32_t fd, const char *status, const char *const *headers,
                                       char *scratch, uint32_t cap, uint32_t flags) {
  uint32_t at = 0;
  for (const char *const *h = headers; h && *h; h++) {
    uint32_t n = pts__strlen(*h) + 1;
    if (at + n > cap) return PTS_E2BIG;
    for (uint32_t i = 0; i < n; i++) scratch[at + i] = (*h)[i];
    at += n;
  }
  return pts_start_response(fd, status, pts__strlen(status), scratch, at, flags);
}

/* pts_gw_respond sends a whole response: status, one Content-Type header
 * and body (len bytes). The host adds Content-Length and sends head and
 * body in one write. */
static inline pts_errno_t pts_gw_respond(int32_t fd, const char *status, const char *content_type,
                                         const void *body, uint32_t len) {
  const char *headers[] = {"Content-Type", content_type, 0};
  char scratch[256];
  pts_errno_t e = pts_gw_start(fd, status, headers, scratch, sizeof scratch, 0);
  if (e != 0) return e;
  uint32_t written = 0;
  return pts_write_all(fd, body, len, &written);
}

#ifdef __cplusplus
}
#endif

#endif /* PTSEVENT_GATEWAY_H */
