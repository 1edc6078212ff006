/* check.h: the C guests' check lines of the conformance suite
 * (tests/conformance/README.md): "ok NAME" or "fail NAME: DETAIL" on
 * stdout, flushed at once, and an exit status of 1 when a check failed. */
#ifndef CONFORMANCE_CHECK_H
#define CONFORMANCE_CHECK_H

#include <ptsevent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failed;

static void ok(const char *name) {
  printf("ok %s\n", name);
  fflush(stdout);
}

static void fail(const char *name, const char *fmt, ...) {
  va_list ap;
  check_failed = 1;
  printf("fail %s: ", name);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
}

/* expect reports name as passed when the import returned want. */
static int expect(const char *name, pts_errno_t got, pts_errno_t want) {
  if (got == want) {
    ok(name);
    return 1;
  }
  fail(name, "got %s, want %s", got ? pts_errno_name(got) : "ok", want ? pts_errno_name(want) : "ok");
  return 0;
}

/* that reports name as passed when cond holds. */
static int that(const char *name, int cond, const char *detail) {
  if (cond) {
    ok(name);
    return 1;
  }
  fail(name, "%s", detail);
  return 0;
}

/* must ends the guest when a step the rest depends on failed. */
#define MUST(name, call)                                                                  \
  do {                                                                                    \
    pts_errno_t e_ = (call);                                                              \
    if (e_ != 0) {                                                                        \
      fail(name, "got %s, want success", pts_errno_name(e_));                             \
      exit(1);                                                                            \
    }                                                                                     \
  } while (0)

#endif
