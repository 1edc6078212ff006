// readline is the guest of BenchmarkReadline (bench/micro_test.go): a
// reactor that reads newline-terminated lines from one end of a
// socketpair, either through the readline import (one host call per line,
// the host fills its line buffer with large reads) or with 1-byte reads
// (one host call and one read system call per byte), the way a naive
// line reader does. fill() writes the lines into the other end first.
//
//   clang --target=wasm32-wasi -O2 -mexec-model=reactor -Iguest-sdk/c -o readline.wasm main.c
#include <ptsevent.h>
#include <string.h>

enum { LINE = 64, LINES = 1024 };

static int32_t fds[2] = {-1, -1};
static char data[LINE * LINES];
static char buf[4096];

// setup makes the socketpair and the lines; returns 0 or an errno.
__attribute__((export_name("setup"))) int32_t setup(void) {
  for (int i = 0; i < LINES; i++) {
    memset(data + i * LINE, 'a' + i % 26, LINE - 1);
    data[i * LINE + LINE - 1] = '\n';
  }
  return (int32_t)pts_socketpair(PTS_AF_UNIX, PTS_SOCK_STREAM, 0, fds);
}

// fill writes LINES lines into fds[0]; returns 0 or an errno.
__attribute__((export_name("fill"))) int32_t fill(void) {
  const char *p = data;
  uint32_t left = sizeof data;
  while (left > 0) {
    uint32_t n = 0;
    pts_errno_t e = pts_write(fds[0], p, left, &n);
    if (e != 0) return (int32_t)e;
    p += n;
    left -= n;
  }
  return 0;
}

// read_lines reads LINES lines from fds[1], with readline when mode is 0,
// else one byte at a time; returns the lines read, or -errno.
__attribute__((export_name("read_lines"))) int32_t read_lines(int32_t mode) {
  int32_t lines = 0;
  while (lines < LINES) {
    uint32_t n = 0;
    pts_errno_t e;
    if (mode == 0) {
      e = pts_readline(fds[1], buf, sizeof buf, &n);
      if (e != 0) return -(int32_t)e;
      if (n == 0) break;
      if (buf[n - 1] == '\n') lines++;
    } else {
      e = pts_read(fds[1], buf, 1, &n);
      if (e != 0) return -(int32_t)e;
      if (n == 0) break;
      if (buf[0] == '\n') lines++;
    }
  }
  return lines;
}

// lines_per_fill is LINES, for the host to report per-line costs.
__attribute__((export_name("lines_per_fill"))) int32_t lines_per_fill(void) { return LINES; }
