// compat-cnet is a plain wasi-libc program (clang --target=wasm32-wasi)
// that serves echo connections on the listening socket preopened as
// descriptor 3, with poll(), accept(), recv()/send() and read()/write().
// It uses nothing of ptsevent.
//
//   compat-cnet -poll N      serve N connections at once with poll() on the
//                            non-blocking listener; recv/send on even
//                            connections, read/write on odd ones
//   compat-cnet -blocking N  make the listener blocking (fcntl) and serve N
//                            connections one after the other with a
//                            blocking accept() and read()/write()
//
// It prints "ok ..." lines, or "FAIL ..." lines and exits 1.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTENER 3
#define MAXCONN 256

static void fail(const char *what) {
    printf("FAIL %s: %s\n", what, strerror(errno));
    exit(1);
}

// echo answers what one read or recv returns; it returns 0 at EOF, 1
// otherwise.
static int echo(int fd, int use_recv) {
    char buf[4096];
    ssize_t n = use_recv ? recv(fd, buf, sizeof buf, 0) : read(fd, buf, sizeof buf);
    if (n < 0) {
        if (errno == EAGAIN) {
            return 1;
        }
        fail(use_recv ? "recv" : "read");
    }
    if (n == 0) {
        return 0;
    }
    for (ssize_t off = 0; off < n;) {
        ssize_t w = use_recv ? send(fd, buf + off, n - off, 0) : write(fd, buf + off, n - off);
        if (w < 0) {
            fail(use_recv ? "send" : "write");
        }
        off += w;
    }
    return 1;
}

static void serve_poll(int n) {
    if (n > MAXCONN) {
        n = MAXCONN;
    }
    // The preopened listener is non-blocking: with nothing pending,
    // accept says EAGAIN.
    int c = accept(LISTENER, NULL, NULL);
    if (c >= 0 || errno != EAGAIN) {
        printf("FAIL accept on an idle non-blocking listener: %d %s\n", c, strerror(errno));
        exit(1);
    }
    printf("ok accept EAGAIN\n");
    printf("ready\n");
    fflush(stdout);

    struct pollfd fds[MAXCONN + 1];
    int kind[MAXCONN + 1];
    int nfds = 1, accepted = 0, closed = 0, maxopen = 0;
    fds[0].fd = LISTENER;
    fds[0].events = POLLIN;
    while (closed < n) {
        int r = poll(fds, nfds, 20000);
        if (r < 0) {
            fail("poll");
        }
        if (r == 0) {
            printf("FAIL poll timed out with %d of %d connections served\n", closed, n);
            exit(1);
        }
        if (fds[0].revents & POLLIN) {
            for (;;) {
                int fd = accept(LISTENER, NULL, NULL);
                if (fd < 0) {
                    if (errno == EAGAIN) {
                        break;
                    }
                    fail("accept");
                }
                fds[nfds].fd = fd;
                fds[nfds].events = POLLIN;
                fds[nfds].revents = 0;
                kind[nfds] = accepted % 2 == 0;
                nfds++;
                accepted++;
                if (nfds - 1 > maxopen) {
                    maxopen = nfds - 1;
                }
            }
        }
        for (int i = 1; i < nfds; i++) {
            if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                fds[i].revents = 0;
                if (!echo(fds[i].fd, kind[i])) {
                    close(fds[i].fd);
                    fds[i] = fds[nfds - 1];
                    kind[i] = kind[nfds - 1];
                    nfds--;
                    i--;
                    closed++;
                }
            }
        }
    }
    printf("ok served %d connections, %d open at once\n", closed, maxopen);
}

static void serve_blocking(int n) {
    int flags = fcntl(LISTENER, F_GETFL);
    if (flags < 0 || fcntl(LISTENER, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        fail("fcntl");
    }
    printf("ok listener blocking\n");
    printf("ready\n");
    fflush(stdout);
    for (int i = 0; i < n; i++) {
        int fd = accept(LISTENER, NULL, NULL);
        if (fd < 0) {
            fail("blocking accept");
        }
        while (echo(fd, 0)) {
        }
        close(fd);
    }
    printf("ok served %d connections\n", n);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 3) {
        fprintf(stderr, "usage: compat-cnet -poll|-blocking N\n");
        return 2;
    }
    int n = atoi(argv[2]);
    if (strcmp(argv[1], "-poll") == 0) {
        serve_poll(n);
    } else if (strcmp(argv[1], "-blocking") == 0) {
        serve_blocking(n);
    } else {
        fprintf(stderr, "usage: compat-cnet -poll|-blocking N\n");
        return 2;
    }
    return 0;
}
