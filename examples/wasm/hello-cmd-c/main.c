/* hello-cmd-c: examples/wasm/hello-cmd in C, for clang --target=wasm32-wasi.
 * It prints the same lines and takes the same flags:
 *
 *   -exit N     exit with status N
 *   -cat PATH   print the file at PATH (a guest path: needs --dir)
 *   -stdin      copy standard input to standard output
 *   -err MSG    print MSG to standard error
 *   -spin       compute forever (for --timeout)
 *   -trap       execute an unreachable instruction (a wasm trap)
 *
 * Flags come first; "--" or the first other argument ends them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int copy(FILE *in, const char *what) {
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
    if (fwrite(buf, 1, n, stdout) != n) {
      perror("hello-cmd-c: write");
      return 1;
    }
  }
  if (ferror(in)) {
    fprintf(stderr, "hello-cmd-c: %s: read error\n", what);
    return 1;
  }
  return 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: hello-cmd-c [-exit N] [-cat PATH] [-stdin] [-err MSG] "
          "[-spin] [-trap] [--] args...\n");
  exit(2);
}

int main(int argc, char **argv) {
  int code = 0, do_stdin = 0, spin = 0, trap = 0;
  const char *cat = NULL, *err = NULL;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *f = argv[i];
    if (f[1] == '-' && f[2] == '\0') { /* "--" */
      i++;
      break;
    }
    if (f[1] == '-') f++; /* accept --flag as Go's flag package does */
    if (strcmp(f, "-exit") == 0 && i + 1 < argc) {
      code = atoi(argv[++i]);
    } else if (strcmp(f, "-cat") == 0 && i + 1 < argc) {
      cat = argv[++i];
    } else if (strcmp(f, "-err") == 0 && i + 1 < argc) {
      err = argv[++i];
    } else if (strcmp(f, "-stdin") == 0) {
      do_stdin = 1;
    } else if (strcmp(f, "-spin") == 0) {
      spin = 1;
    } else if (strcmp(f, "-trap") == 0) {
      trap = 1;
    } else {
      usage();
    }
  }

  printf("hello from ptsevent guest\n");
  for (int n = 1; i < argc; i++, n++) printf("arg %d: %s\n", n, argv[i]);
  const char *g = getenv("GREETING");
  if (g != NULL) printf("GREETING=%s\n", g);
  fflush(stdout);
  if (err != NULL) fprintf(stderr, "%s\n", err);

  if (cat != NULL) {
    FILE *f = fopen(cat, "rb");
    if (f == NULL) {
      fprintf(stderr, "hello-cmd-c: open %s: ", cat);
      perror(NULL);
      return 1;
    }
    int rc = copy(f, cat);
    fclose(f);
    if (rc != 0) return rc;
  }
  if (do_stdin && copy(stdin, "stdin") != 0) return 1;
  fflush(stdout);
  if (trap) __builtin_trap();
  if (spin) {
    volatile unsigned long n = 0;
    for (;;) n++;
  }
  return code;
}
