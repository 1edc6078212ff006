// compat-cfs checks the WASI preview 1 file functions, the sandbox of
// preopened directories, bad pointers and poll_oneoff with raw
// wasi_snapshot_preview1 calls (and a few wasi-libc ones), so that every
// argument reaches the host exactly as written here.
//
// It expects the preopens "/sandbox" (read-write) and "/ro" (read-only)
// laid out by compat's TestFiles (see there), prints "ok NAME" or
// "FAIL NAME: ..." per check, and exits 1 if any failed.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

typedef uint32_t ptr_t; // a guest pointer, as the host sees it

IMPORT(path_open) int32_t w_path_open(int32_t fd, int32_t dirflags, ptr_t path, int32_t path_len, int32_t oflags, int64_t base, int64_t inheriting, int32_t fdflags, ptr_t fd_out);
IMPORT(fd_read) int32_t w_fd_read(int32_t fd, ptr_t iovs, int32_t n, ptr_t nread);
IMPORT(fd_write) int32_t w_fd_write(int32_t fd, ptr_t iovs, int32_t n, ptr_t nwritten);
IMPORT(fd_pread) int32_t w_fd_pread(int32_t fd, ptr_t iovs, int32_t n, int64_t off, ptr_t nread);
IMPORT(fd_pwrite) int32_t w_fd_pwrite(int32_t fd, ptr_t iovs, int32_t n, int64_t off, ptr_t nwritten);
IMPORT(fd_close) int32_t w_fd_close(int32_t fd);
IMPORT(fd_renumber) int32_t w_fd_renumber(int32_t fd, int32_t to);
IMPORT(fd_seek) int32_t w_fd_seek(int32_t fd, int64_t off, int32_t whence, ptr_t newoff);
IMPORT(fd_tell) int32_t w_fd_tell(int32_t fd, ptr_t off);
IMPORT(fd_prestat_get) int32_t w_fd_prestat_get(int32_t fd, ptr_t buf);
IMPORT(fd_prestat_dir_name) int32_t w_fd_prestat_dir_name(int32_t fd, ptr_t path, int32_t len);
IMPORT(fd_readdir) int32_t w_fd_readdir(int32_t fd, ptr_t buf, int32_t len, int64_t cookie, ptr_t used);
IMPORT(fd_filestat_get) int32_t w_fd_filestat_get(int32_t fd, ptr_t buf);
IMPORT(fd_filestat_set_size) int32_t w_fd_filestat_set_size(int32_t fd, int64_t size);
IMPORT(fd_filestat_set_times) int32_t w_fd_filestat_set_times(int32_t fd, int64_t atim, int64_t mtim, int32_t flags);
IMPORT(fd_fdstat_get) int32_t w_fd_fdstat_get(int32_t fd, ptr_t buf);
IMPORT(fd_fdstat_set_flags) int32_t w_fd_fdstat_set_flags(int32_t fd, int32_t flags);
IMPORT(path_filestat_get) int32_t w_path_filestat_get(int32_t fd, int32_t flags, ptr_t path, int32_t len, ptr_t buf);
IMPORT(path_create_directory) int32_t w_path_create_directory(int32_t fd, ptr_t path, int32_t len);
IMPORT(path_remove_directory) int32_t w_path_remove_directory(int32_t fd, ptr_t path, int32_t len);
IMPORT(path_unlink_file) int32_t w_path_unlink_file(int32_t fd, ptr_t path, int32_t len);
IMPORT(path_rename) int32_t w_path_rename(int32_t fd, ptr_t old, int32_t oldlen, int32_t nfd, ptr_t new, int32_t newlen);
IMPORT(path_symlink) int32_t w_path_symlink(ptr_t old, int32_t oldlen, int32_t fd, ptr_t new, int32_t newlen);
IMPORT(path_readlink) int32_t w_path_readlink(int32_t fd, ptr_t path, int32_t len, ptr_t buf, int32_t buflen, ptr_t used);
IMPORT(path_link) int32_t w_path_link(int32_t ofd, int32_t oflags, ptr_t old, int32_t oldlen, int32_t nfd, ptr_t new, int32_t newlen);
IMPORT(poll_oneoff) int32_t w_poll_oneoff(ptr_t in, ptr_t out, int32_t n, ptr_t nevents);
IMPORT(clock_time_get) int32_t w_clock_time_get(int32_t id, int64_t precision, ptr_t out);
IMPORT(args_sizes_get) int32_t w_args_sizes_get(ptr_t argc, ptr_t argv_buf_size);

#define P(x) ((ptr_t)(uintptr_t)(x))
#define BAD ((ptr_t)0xFFFFFFF0u) // past the end of memory

enum {
    ESUCCESS = 0, EBADF = 8, EEXIST = 20, EFAULT = 21, EINVAL = 28, EISDIR = 31, ELOOP = 32,
    ENOENT = 44, ENOTDIR = 54, ENOTEMPTY = 55, EROFS = 69, ESPIPE = 70, ENOTCAPABLE = 76,
};
enum { FOLLOW = 1 };
enum { O_CREAT_ = 1, O_DIRECTORY_ = 2, O_EXCL_ = 4, O_TRUNC_ = 8 };
enum { FD_APPEND = 1, FD_NONBLOCK = 4 };
#define R_READ ((int64_t)1 << 1 | (int64_t)1 << 14)
#define R_WRITE ((int64_t)1 << 6)
#define R_ALL (R_READ | R_WRITE | ((int64_t)1 << 2) | ((int64_t)1 << 5))

static int failures;

static void check(const char *name, long got, long want) {
    if (got == want) {
        printf("ok %s\n", name);
    } else {
        printf("FAIL %s: got %ld, want %ld\n", name, got, want);
        failures++;
    }
}

static void check_str(const char *name, const char *got, const char *want) {
    if (strcmp(got, want) == 0) {
        printf("ok %s\n", name);
    } else {
        printf("FAIL %s: got \"%s\", want \"%s\"\n", name, got, want);
        failures++;
    }
}

static int32_t sandbox = -1, ro = -1;

static void find_preopens(void) {
    for (int32_t fd = 3; fd < 64; fd++) {
        uint8_t st[8];
        int32_t e = w_fd_prestat_get(fd, P(st));
        if (e == EBADF) {
            break;
        }
        if (e != 0 || st[0] != 0) {
            continue; // a preopened listener
        }
        uint32_t len;
        memcpy(&len, st + 4, 4);
        char name[256] = {0};
        if (len >= sizeof name || w_fd_prestat_dir_name(fd, P(name), len) != 0) {
            continue;
        }
        if (strcmp(name, "/sandbox") == 0) {
            sandbox = fd;
        } else if (strcmp(name, "/ro") == 0) {
            ro = fd;
        }
    }
}

// open_at opens path under dir; it returns the errno and stores the fd.
static int32_t open_at(int32_t dir, const char *path, int32_t dirflags, int32_t oflags, int64_t rights, int32_t fdflags, int32_t *fd) {
    int32_t tmp = -1;
    int32_t e = w_path_open(dir, dirflags, P(path), strlen(path), oflags, rights, rights, fdflags, P(&tmp));
    if (fd) {
        *fd = e == 0 ? tmp : -1;
    }
    if (e == 0 && !fd) {
        w_fd_close(tmp);
    }
    return e;
}

// read_all reads a descriptor's content (up to 255 bytes) as a string.
static const char *read_all(int32_t fd) {
    static char buf[256];
    uint32_t iov[2] = {P(buf), sizeof buf - 1};
    uint32_t n = 0;
    if (w_fd_read(fd, P(iov), 1, P(&n)) != 0) {
        return "<read error>";
    }
    buf[n] = 0;
    return buf;
}

static const char *read_path(int32_t dir, const char *path) {
    int32_t fd;
    int32_t e = open_at(dir, path, FOLLOW, 0, R_READ, 0, &fd);
    if (e != 0) {
        static char err[32];
        snprintf(err, sizeof err, "<errno %d>", e);
        return err;
    }
    const char *s = read_all(fd);
    w_fd_close(fd);
    return s;
}

static void escapes(void) {
    // Paths that leave the preopen, by "..", absolute paths and symlinks:
    // refused, never data.
    struct { const char *path; int32_t dirflags; int32_t oflags; } cases[] = {
        {"../outside.txt", FOLLOW, 0},
        {"/../outside.txt", FOLLOW, 0},
        {"a/../../outside.txt", FOLLOW, 0},
        {"a/./../a/../../outside.txt", FOLLOW, 0},
        {"/etc/passwd", FOLLOW, 0},
        {"link-abs", FOLLOW, 0},
        {"link-rel-out", FOLLOW, 0},
        {"dirlink-out/outside.txt", FOLLOW, 0},
        {"dirlink-out/outside.txt", 0, 0},
        {"dirlink-out", FOLLOW, O_DIRECTORY_},
        {"dirlink-abs/outside.txt", FOLLOW, 0},
        {"a/deep/../../../outside.txt", FOLLOW, 0},
        {"..", FOLLOW, O_DIRECTORY_},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[128];
        snprintf(name, sizeof name, "escape open %s", cases[i].path);
        int32_t fd;
        check(name, open_at(sandbox, cases[i].path, cases[i].dirflags, cases[i].oflags, R_READ, 0, &fd), ENOTCAPABLE);
        if (fd >= 0) {
            printf("FAIL %s: got data \"%s\"\n", name, read_all(fd));
            failures++;
        }
    }
    // Creating through an escape creates nothing outside.
    check("escape create ../created.txt", open_at(sandbox, "../created.txt", FOLLOW, O_CREAT_, R_ALL, 0, NULL), ENOTCAPABLE);
    check("escape create via link-rel-out-new", open_at(sandbox, "link-rel-out-new", FOLLOW, O_CREAT_, R_ALL, 0, NULL), ENOTCAPABLE);
    uint8_t st[64];
    const char *p = "link-abs";
    check("escape stat follow link-abs", w_path_filestat_get(sandbox, FOLLOW, P(p), strlen(p), P(st)), ENOTCAPABLE);
    check("stat nofollow link-abs", w_path_filestat_get(sandbox, 0, P(p), strlen(p), P(st)), 0);
    check("stat nofollow link-abs is a symlink", st[16], 7);
    p = "../outside.txt";
    check("escape stat ../outside.txt", w_path_filestat_get(sandbox, FOLLOW, P(p), strlen(p), P(st)), ENOTCAPABLE);
    check("escape unlink ../outside.txt", w_path_unlink_file(sandbox, P(p), strlen(p)), ENOTCAPABLE);
    p = "../newdir";
    check("escape mkdir ../newdir", w_path_create_directory(sandbox, P(p), strlen(p)), ENOTCAPABLE);
    p = "dirlink-out/newdir";
    check("escape mkdir dirlink-out/newdir", w_path_create_directory(sandbox, P(p), strlen(p)), ENOTCAPABLE);
    const char *from = "file.txt", *to = "../moved.txt";
    check("escape rename to ../moved.txt", w_path_rename(sandbox, P(from), strlen(from), sandbox, P(to), strlen(to)), ENOTCAPABLE);
    to = "dirlink-out/moved.txt";
    check("escape rename into dirlink-out", w_path_rename(sandbox, P(from), strlen(from), sandbox, P(to), strlen(to)), ENOTCAPABLE);
    from = "../outside.txt";
    to = "stolen.txt";
    check("escape link ../outside.txt", w_path_link(sandbox, 0, P(from), strlen(from), sandbox, P(to), strlen(to)), ENOTCAPABLE);
    from = "/etc/passwd";
    to = "abs-symlink";
    check("symlink to an absolute path", w_path_symlink(P(from), strlen(from), sandbox, P(to), strlen(to)), ENOTCAPABLE);
    from = "../outside.txt";
    to = "made-rel-out";
    check("symlink to ../outside.txt is made", w_path_symlink(P(from), strlen(from), sandbox, P(to), strlen(to)), 0);
    check("...but not followed", open_at(sandbox, "made-rel-out", FOLLOW, 0, R_READ, 0, NULL), ENOTCAPABLE);
    char buf[64] = {0};
    uint32_t used = 0;
    p = "made-rel-out";
    check("readlink made-rel-out", w_path_readlink(sandbox, P(p), strlen(p), P(buf), sizeof buf - 1, P(&used)), 0);
    check_str("readlink made-rel-out text", buf, "../outside.txt");
    // An absolute path is refused before any lookup, even naming a file
    // inside the preopen's host directory.
    check("absolute path inside", open_at(sandbox, "/file.txt", FOLLOW, 0, R_READ, 0, NULL), ENOTCAPABLE);
    // wasi-libc resolves absolute guest paths against the preopens.
    FILE *f = fopen("/sandbox/../outside.txt", "r");
    check("libc fopen /sandbox/../outside.txt fails", f == NULL, 1);
    if (f) {
        fclose(f);
    }
}

static void symlinks(void) {
    check_str("follow link-in", read_path(sandbox, "link-in"), "hello");
    check("nofollow link-in", open_at(sandbox, "link-in", 0, 0, R_READ, 0, NULL), ELOOP);
    check_str("symlinked dir dirlink-in/b.txt", read_path(sandbox, "dirlink-in/b.txt"), "inner");
    check_str("a/../file.txt", read_path(sandbox, "a/../file.txt"), "hello");
    check("loop", open_at(sandbox, "loop1", FOLLOW, 0, R_READ, 0, NULL), ELOOP);
    check("loop nofollow", open_at(sandbox, "loop1", 0, 0, R_READ, 0, NULL), ELOOP);
    check("loop in the middle", open_at(sandbox, "loop1/x", FOLLOW, 0, R_READ, 0, NULL), ELOOP);
    check("dangling", open_at(sandbox, "dangling", FOLLOW, 0, R_READ, 0, NULL), ENOENT);
    check("dangling nofollow", open_at(sandbox, "dangling", 0, 0, R_READ, 0, NULL), ELOOP);
    check("dangling creat excl", open_at(sandbox, "dangling", FOLLOW, O_CREAT_ | O_EXCL_, R_ALL, 0, NULL), EEXIST);
    check("missing", open_at(sandbox, "missing.txt", FOLLOW, 0, R_READ, 0, NULL), ENOENT);
    check("file as directory", open_at(sandbox, "file.txt", FOLLOW, O_DIRECTORY_, R_READ, 0, NULL), ENOTDIR);
    check("through a file", open_at(sandbox, "file.txt/x", FOLLOW, 0, R_READ, 0, NULL), ENOTDIR);

    // A directory descriptor confines lookups to itself.
    int32_t dir;
    check("open dirlink-in as a directory", open_at(sandbox, "dirlink-in", FOLLOW, O_DIRECTORY_, R_READ, 0, &dir), 0);
    if (dir >= 0) {
        check_str("read b.txt under it", read_path(dir, "b.txt"), "inner");
        check("its .. is outside it", open_at(dir, "../file.txt", FOLLOW, 0, R_READ, 0, NULL), ENOTCAPABLE);
        uint8_t fdst[24];
        check("fdstat of a directory", w_fd_fdstat_get(dir, P(fdst)), 0);
        check("it is a directory", fdst[0], 3);
        uint32_t diov[2] = {P(fdst), 8}, dn;
        check("fd_read on a directory", w_fd_read(dir, P(diov), 1, P(&dn)), EISDIR);
        w_fd_close(dir);
    }
    check("path_open on a file descriptor", open_at(0, "x", FOLLOW, 0, R_READ, 0, NULL), ENOTDIR);
    check("path_open on a bad descriptor", open_at(999, "x", FOLLOW, 0, R_READ, 0, NULL), EBADF);
}

static void files(void) {
    int32_t fd;
    check("create new.txt", open_at(sandbox, "new.txt", FOLLOW, O_CREAT_ | O_TRUNC_, R_ALL, 0, &fd), 0);
    if (fd < 0) {
        return;
    }
    char data[] = "abcdef";
    uint32_t iov[4] = {P(data), 3, P(data + 3), 3};
    uint32_t n = 0;
    check("write 2 iovecs", w_fd_write(fd, P(iov), 2, P(&n)), 0);
    check("wrote 6", n, 6);
    uint64_t off = 99;
    check("tell", w_fd_tell(fd, P(&off)), 0);
    check("tell is 6", (long)off, 6);
    check("seek 0", w_fd_seek(fd, 0, 0, P(&off)), 0);
    check_str("read back", read_all(fd), "abcdef");
    check("seek bad whence", w_fd_seek(fd, 0, 7, P(&off)), EINVAL);
    char small[4] = {0};
    uint32_t piov[2] = {P(small), 3};
    check("pread 3 at 2", w_fd_pread(fd, P(piov), 1, 2, P(&n)), 0);
    check_str("pread data", small, "cde");
    char xy[] = "XY";
    uint32_t wiov[2] = {P(xy), 2};
    check("pwrite at 1", w_fd_pwrite(fd, P(wiov), 1, 1, P(&n)), 0);
    check("seek 0 again", w_fd_seek(fd, 0, 0, P(&off)), 0);
    check_str("after pwrite", read_all(fd), "aXYdef");
    uint8_t st[64];
    check("filestat", w_fd_filestat_get(fd, P(st)), 0);
    uint64_t size;
    memcpy(&size, st + 32, 8);
    check("filestat size", (long)size, 6);
    check("filestat type", st[16], 4);
    check("set size 3", w_fd_filestat_set_size(fd, 3), 0);
    check("filestat again", w_fd_filestat_get(fd, P(st)), 0);
    memcpy(&size, st + 32, 8);
    check("size 3", (long)size, 3);
    uint8_t fdst[24];
    check("fdstat", w_fd_fdstat_get(fd, P(fdst)), 0);
    check("fdstat type", fdst[0], 4);
    check("set append", w_fd_fdstat_set_flags(fd, FD_APPEND), 0);
    check("fdstat again", w_fd_fdstat_get(fd, P(fdst)), 0);
    check("append flag", fdst[2] & FD_APPEND, FD_APPEND);
    check("seek 0 before append", w_fd_seek(fd, 0, 0, P(&off)), 0);
    char z[] = "Z";
    uint32_t ziov[2] = {P(z), 1};
    check("append write", w_fd_write(fd, P(ziov), 1, P(&n)), 0);
    check("seek 0 after append", w_fd_seek(fd, 0, 0, P(&off)), 0);
    check_str("appended at the end", read_all(fd), "aXYZ");
    check("set times", w_fd_filestat_set_times(fd, 1000000000LL, 2000000000LL, 1 | 4), 0);
    check("filestat after set times", w_fd_filestat_get(fd, P(st)), 0);
    uint64_t mtim;
    memcpy(&mtim, st + 48, 8);
    check("mtime set", (long)(mtim / 1000000000ULL), 2);
    check("set times with both atim and atim_now", w_fd_filestat_set_times(fd, 0, 0, 1 | 2), EINVAL);
    w_fd_close(fd);
    check("close twice", w_fd_close(fd), EBADF);

    // Standard descriptors.
    check("fdstat stdout", w_fd_fdstat_get(1, P(fdst)), 0);
    check("seek stdout", w_fd_seek(1, 0, 0, P(&off)), ESPIPE);

    // Directories.
    const char *d = "d1";
    check("mkdir d1", w_path_create_directory(sandbox, P(d), strlen(d)), 0);
    check("mkdir d1 again", w_path_create_directory(sandbox, P(d), strlen(d)), EEXIST);
    check("unlink d1", w_path_unlink_file(sandbox, P(d), strlen(d)), EISDIR);
    const char *df = "d1/f";
    check("create d1/f", open_at(sandbox, df, FOLLOW, O_CREAT_, R_ALL, 0, NULL), 0);
    check("rmdir non-empty d1", w_path_remove_directory(sandbox, P(d), strlen(d)), ENOTEMPTY);
    check("unlink d1/f", w_path_unlink_file(sandbox, P(df), strlen(df)), 0);
    check("rmdir d1", w_path_remove_directory(sandbox, P(d), strlen(d)), 0);
    const char *fp = "file.txt";
    check("rmdir file.txt", w_path_remove_directory(sandbox, P(fp), strlen(fp)), ENOTDIR);
    const char *a = "new.txt", *b = "renamed.txt";
    check("rename", w_path_rename(sandbox, P(a), strlen(a), sandbox, P(b), strlen(b)), 0);
    check_str("renamed content", read_path(sandbox, "renamed.txt"), "aXYZ");
    const char *l = "hardlink.txt";
    check("link", w_path_link(sandbox, 0, P(b), strlen(b), sandbox, P(l), strlen(l)), 0);
    check_str("link content", read_path(sandbox, "hardlink.txt"), "aXYZ");
    check("unlink link", w_path_unlink_file(sandbox, P(l), strlen(l)), 0);
    check("unlink renamed", w_path_unlink_file(sandbox, P(b), strlen(b)), 0);

    // fd_readdir lists the preopen.
    static char dbuf[4096];
    uint32_t dused = 0;
    check("readdir", w_fd_readdir(sandbox, P(dbuf), sizeof dbuf, 0, P(&dused)), 0);
    int seen_file = 0, seen_dot = 0, seen_a = 0;
    for (uint32_t o = 0; o + 24 <= dused;) {
        uint32_t nlen;
        memcpy(&nlen, dbuf + o + 16, 4);
        if (o + 24 + nlen > dused) {
            break;
        }
        const char *name = dbuf + o + 24;
        if (nlen == 8 && memcmp(name, "file.txt", 8) == 0) {
            seen_file = 1;
        } else if (nlen == 1 && name[0] == '.') {
            seen_dot = 1;
        } else if (nlen == 1 && name[0] == 'a' && dbuf[o + 20] == 3) {
            seen_a = 1;
        }
        o += 24 + nlen;
    }
    check("readdir has .", seen_dot, 1);
    check("readdir has file.txt", seen_file, 1);
    check("readdir has directory a", seen_a, 1);
    check("readdir cut short", w_fd_readdir(sandbox, P(dbuf), 30, 0, P(&dused)), 0);
    check("readdir filled the small buffer", dused, 30);
}

static void renumber(void) {
    int32_t fa, fb;
    check("open file.txt", open_at(sandbox, "file.txt", FOLLOW, 0, R_READ, 0, &fa), 0);
    check("open a/b.txt", open_at(sandbox, "a/b.txt", FOLLOW, 0, R_READ, 0, &fb), 0);
    check("renumber", w_fd_renumber(fa, fb), 0);
    check_str("read the renumbered descriptor", read_all(fb), "hello");
    uint32_t n;
    char c;
    uint32_t iov[2] = {P(&c), 1};
    check("read the old number", w_fd_read(fa, P(iov), 1, P(&n)), EBADF);
    check("renumber a closed descriptor", w_fd_renumber(fa, fb), EBADF);
    w_fd_close(fb);
}

static void readonly(void) {
    if (ro < 0) {
        printf("FAIL readonly: no /ro preopen\n");
        failures++;
        return;
    }
    check_str("read under /ro", read_path(ro, "r.txt"), "read only");
    check("write open under /ro", open_at(ro, "r.txt", FOLLOW, 0, R_ALL, 0, NULL), EROFS);
    check("create under /ro", open_at(ro, "new.txt", FOLLOW, O_CREAT_, R_READ, 0, NULL), EROFS);
    const char *p = "r.txt";
    check("unlink under /ro", w_path_unlink_file(ro, P(p), strlen(p)), EROFS);
    const char *d = "dir";
    check("mkdir under /ro", w_path_create_directory(ro, P(d), strlen(d)), EROFS);
    int32_t fd;
    check("open r.txt read-only", open_at(ro, "r.txt", FOLLOW, 0, R_READ, 0, &fd), 0);
    if (fd >= 0) {
        check("set times on a /ro file", w_fd_filestat_set_times(fd, 0, 0, 2 | 8), EROFS);
        check("truncate a /ro file", w_fd_filestat_set_size(fd, 0), EBADF);
        char x[] = "x";
        uint32_t iov[2] = {P(x), 1};
        uint32_t n;
        check("write a /ro file", w_fd_write(fd, P(iov), 1, P(&n)), EBADF);
        w_fd_close(fd);
    }
}

static void efault(void) {
    // Bad pointers are EFAULT, before any I/O: nothing is written, read,
    // consumed or created.
    char partial[] = "PARTIAL-WRITE";
    uint32_t iov[4] = {P(partial), 13, BAD, 4};
    uint32_t n = 0;
    check("efault write: second iovec", w_fd_write(1, P(iov), 2, P(&n)), EFAULT);
    check("efault write: iovec array", w_fd_write(1, BAD, 2, P(&n)), EFAULT);
    char nw[] = "NOT-WRITTEN";
    uint32_t iov2[2] = {P(nw), 11};
    check("efault write: result pointer", w_fd_write(1, P(iov2), 1, BAD), EFAULT);
    uint32_t huge[2] = {P(nw), 0xFFFFFFFFu};
    check("efault write: length past the end", w_fd_write(1, P(huge), 1, P(&n)), EFAULT);

    int32_t fd;
    if (open_at(sandbox, "file.txt", FOLLOW, 0, R_READ, 0, &fd) != 0) {
        printf("FAIL efault: open file.txt\n");
        failures++;
        return;
    }
    char buf[8];
    uint32_t riov[4] = {P(buf), 2, BAD, 2};
    check("efault read: second iovec", w_fd_read(fd, P(riov), 2, P(&n)), EFAULT);
    uint32_t riov1[2] = {P(buf), 2};
    check("efault read: result pointer", w_fd_read(fd, P(riov1), 1, BAD), EFAULT);
    uint64_t off = 99;
    check("efault read: tell", w_fd_tell(fd, P(&off)), 0);
    check("efault read: nothing consumed", (long)off, 0);
    check("efault pread", w_fd_pread(fd, P(riov), 2, 0, P(&n)), EFAULT);
    check("efault seek result", w_fd_seek(fd, 0, 0, BAD), EFAULT);
    check("efault filestat", w_fd_filestat_get(fd, BAD), EFAULT);
    check("efault fdstat", w_fd_fdstat_get(fd, BAD), EFAULT);
    w_fd_close(fd);

    check("efault path pointer", w_path_open(sandbox, FOLLOW, BAD, 5, 0, R_READ, R_READ, 0, P(&fd)), EFAULT);
    const char *cp = "efault-created.txt";
    check("efault open result", w_path_open(sandbox, FOLLOW, P(cp), strlen(cp), O_CREAT_, R_ALL, R_ALL, 0, BAD), EFAULT);
    uint8_t st[64];
    check("efault open created nothing", w_path_filestat_get(sandbox, FOLLOW, P(cp), strlen(cp), P(st)), ENOENT);
    check("efault mkdir path", w_path_create_directory(sandbox, BAD, 3), EFAULT);
    check("efault prestat dir name", w_fd_prestat_dir_name(sandbox, BAD, 8), EFAULT);
    check("efault prestat", w_fd_prestat_get(sandbox, BAD), EFAULT);
    uint32_t used;
    check("efault readdir buffer", w_fd_readdir(sandbox, BAD, 64, 0, P(&used)), EFAULT);
    check("efault readlink result", w_path_readlink(sandbox, P("link-in"), 7, P(buf), 8, BAD), EFAULT);
    check("efault clock", w_clock_time_get(1, 0, BAD), EFAULT);
    check("efault args_sizes_get", w_args_sizes_get(BAD, BAD), EFAULT);
    uint8_t sub[48] = {0}, ev[32];
    uint32_t nev;
    check("efault poll in", w_poll_oneoff(BAD, P(ev), 1, P(&nev)), EFAULT);
    check("efault poll out", w_poll_oneoff(P(sub), BAD, 1, P(&nev)), EFAULT);
    check("efault poll nevents", w_poll_oneoff(P(sub), P(ev), 1, BAD), EFAULT);
    check("efault poll in, many", w_poll_oneoff(P(sub), P(ev), 0x7FFFFFF, P(&nev)), EFAULT);
}

// Subscriptions and events, as laid out by WASI.
typedef struct {
    uint64_t userdata;
    uint8_t tag;
    uint8_t pad[7];
    union {
        struct { uint32_t id; uint32_t pad; uint64_t timeout, precision; uint16_t flags; } clock;
        struct { uint32_t fd; } fd;
    } u;
    uint8_t pad2[48 - 8 - 8 - 32];
} sub_t;
typedef struct {
    uint64_t userdata;
    uint16_t error;
    uint8_t type;
    uint8_t pad[5];
    uint64_t nbytes;
    uint16_t flags;
    uint8_t pad2[6];
} event_t;
_Static_assert(sizeof(sub_t) == 48, "subscription size");
_Static_assert(sizeof(event_t) == 32, "event size");

static uint64_t now(uint32_t clock) {
    uint64_t t = 0;
    w_clock_time_get(clock, 1, P(&t));
    return t;
}

static sub_t clock_sub(uint64_t userdata, uint32_t id, uint64_t timeout, int abs) {
    sub_t s;
    memset(&s, 0, sizeof s);
    s.userdata = userdata;
    s.tag = 0;
    s.u.clock.id = id;
    s.u.clock.timeout = timeout;
    s.u.clock.precision = 1000;
    s.u.clock.flags = abs ? 1 : 0;
    return s;
}

static sub_t fd_sub(uint64_t userdata, uint8_t tag, uint32_t fd) {
    sub_t s;
    memset(&s, 0, sizeof s);
    s.userdata = userdata;
    s.tag = tag;
    s.u.fd.fd = fd;
    return s;
}

static void poll_tests(void) {
    sub_t subs[64];
    event_t evs[64];
    uint32_t nev = 99;
    check("poll nsubscriptions 0", w_poll_oneoff(P(subs), P(evs), 0, P(&nev)), EINVAL);

    const uint64_t ms = 1000000;
    uint64_t t0 = now(1);
    subs[0] = clock_sub(7, 1, 30 * ms, 0);
    check("poll relative clock", w_poll_oneoff(P(subs), P(evs), 1, P(&nev)), 0);
    uint64_t el = now(1) - t0;
    check("poll relative clock: one event", nev, 1);
    check("poll relative clock: userdata", (long)evs[0].userdata, 7);
    check("poll relative clock: waited 30ms", el >= 30 * ms && el < 2000 * ms, 1);

    // A relative and an absolute realtime clock: the first fires alone.
    t0 = now(1);
    subs[0] = clock_sub(1, 1, 40 * ms, 0);
    subs[1] = clock_sub(2, 0, now(0) + 400 * ms, 1);
    check("poll two clocks", w_poll_oneoff(P(subs), P(evs), 2, P(&nev)), 0);
    el = now(1) - t0;
    check("poll two clocks: one event", nev, 1);
    check("poll two clocks: the relative one", (long)evs[0].userdata, 1);
    check("poll two clocks: after 40ms, before 400ms", el >= 40 * ms && el < 400 * ms, 1);

    // Absolute monotonic, and absolute in the past.
    t0 = now(1);
    subs[0] = clock_sub(3, 1, t0 + 30 * ms, 1);
    check("poll absolute monotonic", w_poll_oneoff(P(subs), P(evs), 1, P(&nev)), 0);
    el = now(1) - t0;
    check("poll absolute monotonic: waited 30ms", el >= 30 * ms && el < 2000 * ms, 1);
    subs[0] = clock_sub(4, 0, 1, 1);
    t0 = now(1);
    check("poll absolute past", w_poll_oneoff(P(subs), P(evs), 1, P(&nev)), 0);
    check("poll absolute past: at once", now(1) - t0 < 500 * ms, 1);

    // Many clocks: the earliest fires.
    for (int i = 0; i < 64; i++) {
        subs[i] = clock_sub(100 + i, 1, (uint64_t)(64 - i) * 10 * ms, 0);
    }
    t0 = now(1);
    check("poll 64 clocks", w_poll_oneoff(P(subs), P(evs), 64, P(&nev)), 0);
    el = now(1) - t0;
    check("poll 64 clocks: one event", nev, 1);
    check("poll 64 clocks: the earliest", (long)evs[0].userdata, 163);
    check("poll 64 clocks: after 10ms", el >= 10 * ms && el < 600 * ms, 1);

    // Standard output is writable at once; a bad descriptor fires with
    // EBADF; an unknown clock with EINVAL.
    t0 = now(1);
    subs[0] = clock_sub(10, 1, 5000 * ms, 0);
    subs[1] = fd_sub(11, 2, 1);
    subs[2] = fd_sub(12, 1, 999);
    subs[3] = clock_sub(13, 99, 0, 0);
    check("poll stdout, bad fd, bad clock", w_poll_oneoff(P(subs), P(evs), 4, P(&nev)), 0);
    check("poll stdout...: at once", now(1) - t0 < 2000 * ms, 1);
    check("poll stdout...: three events", nev, 3);
    int seen = 0;
    for (uint32_t i = 0; i < nev; i++) {
        if (evs[i].userdata == 11 && evs[i].error == 0 && evs[i].type == 2) {
            seen |= 1;
        }
        if (evs[i].userdata == 12 && evs[i].error == EBADF && evs[i].type == 1) {
            seen |= 2;
        }
        if (evs[i].userdata == 13 && evs[i].error == EINVAL) {
            seen |= 4;
        }
    }
    check("poll stdout...: the right events", seen, 7);

    // A regular file is always readable; nbytes is what is left.
    int32_t fd;
    if (open_at(sandbox, "file.txt", FOLLOW, 0, R_READ, 0, &fd) == 0) {
        subs[0] = fd_sub(20, 1, fd);
        subs[1] = clock_sub(21, 1, 5000 * ms, 0);
        check("poll file", w_poll_oneoff(P(subs), P(evs), 2, P(&nev)), 0);
        check("poll file: one event", nev, 1);
        check("poll file: nbytes", (long)evs[0].nbytes, 5);
        w_fd_close(fd);
    }
    check("poll unknown tag", (subs[0].tag = 9, w_poll_oneoff(P(subs), P(evs), 1, P(&nev))), EINVAL);

    // libc's nanosleep and clock.
    struct timespec ts = {0, 20 * ms};
    t0 = now(1);
    nanosleep(&ts, NULL);
    check("nanosleep 20ms", now(1) - t0 >= 20 * ms, 1);
}

static void closed_preopen(void) {
    check("close the preopen", w_fd_close(sandbox), 0);
    check("path_open on the closed preopen", open_at(sandbox, "file.txt", FOLLOW, 0, R_READ, 0, NULL), EBADF);
    uint8_t st[8];
    check("prestat of the closed preopen", w_fd_prestat_get(sandbox, P(st)), EBADF);
    const char *p = "file.txt";
    uint8_t fst[64];
    check("stat under the closed preopen", w_path_filestat_get(sandbox, FOLLOW, P(p), strlen(p), P(fst)), EBADF);
    FILE *f = fopen("/sandbox/file.txt", "r");
    check("libc fopen under the closed preopen fails", f == NULL, 1);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    find_preopens();
    if (sandbox < 0) {
        printf("FAIL no /sandbox preopen\n");
        return 1;
    }
    FILE *f = fopen("/sandbox/file.txt", "r");
    char line[32] = {0};
    if (f) {
        fgets(line, sizeof line, f);
        fclose(f);
    }
    check_str("libc fopen /sandbox/file.txt", line, "hello");
    escapes();
    symlinks();
    files();
    renumber();
    readonly();
    efault();
    poll_tests();
    closed_preopen();
    printf("done, %d failures\n", failures);
    return failures ? 1 : 0;
}
