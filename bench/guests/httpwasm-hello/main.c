// httpwasm-hello is the http-wasm peer's guest: the ptsevent example app's
// "/" route ("Hello, World!\n", text/plain) written against the http-wasm
// http_handler ABI (https://http-wasm.io/http-handler-abi/), so
// http-wasm-host-go can serve it. No libc and no WASI: the guest only
// imports http_handler and exports memory, handle_request and
// handle_response. Built by bench/cmd/runbench:
//
//   clang --target=wasm32-wasi -O2 -nostdlib -Wl,--no-entry -o hello.wasm main.c
#include <stdint.h>

#define HTTP_HANDLER(name) __attribute__((import_module("http_handler"), import_name(name)))

HTTP_HANDLER("get_uri") int32_t get_uri(char *buf, int32_t buf_limit);
HTTP_HANDLER("set_header_value") void set_header_value(int32_t kind, const char *name, int32_t name_len, const char *value, int32_t value_len);
HTTP_HANDLER("write_body") void write_body(int32_t kind, const char *body, int32_t body_len);
HTTP_HANDLER("set_status_code") void set_status_code(int32_t status_code);

enum { HEADER_KIND_RESPONSE = 1, BODY_KIND_RESPONSE = 1 };

static const char content_type[] = "Content-Type";
static const char text_plain[] = "text/plain; charset=utf-8";
static const char hello[] = "Hello, World!\n";
static const char not_found[] = "404 page not found\n";
static char uri[256];

#define LEN(s) ((int32_t)(sizeof(s) - 1))

// handle_request writes the response itself and returns ctx_next = 0: no
// next handler on the host.
__attribute__((export_name("handle_request"))) int64_t handle_request(void) {
  int32_t n = get_uri(uri, sizeof uri);
  set_header_value(HEADER_KIND_RESPONSE, content_type, LEN(content_type), text_plain, LEN(text_plain));
  if (n >= 1 && n <= (int32_t)sizeof uri && uri[0] == '/' && (n == 1 || uri[1] == '?')) {
    write_body(BODY_KIND_RESPONSE, hello, LEN(hello));
  } else {
    set_status_code(404);
    write_body(BODY_KIND_RESPONSE, not_found, LEN(not_found));
  }
  return 0;
}

// handle_response is never called (handle_request never returns next=1),
// but the ABI requires it.
__attribute__((export_name("handle_response"))) void handle_response(int32_t req_ctx, int32_t is_error) {
  (void)req_ctx;
  (void)is_error;
}
