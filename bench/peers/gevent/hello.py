"""gevent's pywsgi hello world: the benchmark peer from ptsevent's lineage.

Run with Debian's python3 and python3-gevent:
    /usr/bin/python3 bench/peers/gevent/hello.py 127.0.0.1:8080
"""
import socket
import sys

from gevent import monkey

monkey.patch_all()

from gevent.pywsgi import WSGIServer  # noqa: E402

BODY = b"Hello, World!\n"
HEADERS = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(BODY)))]


def app(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]


class NoDelayServer(WSGIServer):
    """Sets TCP_NODELAY on each connection, as Go and nginx do by default.

    pywsgi writes the status line and headers, then the body, in separate
    sends; with Nagle's algorithm on, the second waits for the client's
    delayed ACK (about 40 ms on Linux) on every keep-alive request.
    """

    def handle(self, sock, address):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle(sock, address)


def main():
    host, _, port = (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8080").rpartition(":")
    NoDelayServer((host, int(port)), app, log=None).serve_forever()


if __name__ == "__main__":
    main()
