// yieldloop: the guest of the host's suspend+resume and recv benchmarks.
//
//   yieldloop yield N          park inside sched_yield N times; the loop
//                              resumes the guest on its next turn
//   yieldloop call N           an import that never parks (abi_version), N
//                              times: the cost of the call alone
//   yieldloop recv-ready N     N times: send one byte on a socketpair, then
//                              a blocking recv that finds it already there
//   yieldloop recv-wait N      N times: send one byte on the socket the
//                              embedder granted as "peer" (fromfd), then a
//                              blocking recv that must wait for the peer's
//                              echo: the guest is suspended and resumed on
//                              readiness
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptsevent.h"

// pingpong sends one byte on out and receives one on in, n times.
static int pingpong(int32_t out, int32_t in, long n) {
	char c = 'x';
	uint32_t k;
	for (long i = 0; i < n; i++) {
		if (pts_send(out, &c, 1, 0, &k) != 0 || k != 1) {
			fprintf(stderr, "send failed\n");
			return 1;
		}
		if (pts_recv(in, &c, 1, 0, &k) != 0 || k != 1) {
			fprintf(stderr, "recv failed\n");
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: yieldloop yield|call|recv-ready|recv-wait N\n");
		return 2;
	}
	long n = atol(argv[2]);
	unsigned sum = 0;
	if (strcmp(argv[1], "yield") == 0) {
		for (long i = 0; i < n; i++)
			sched_yield();
	} else if (strcmp(argv[1], "recv-ready") == 0) {
		int32_t sv[2];
		if (pts_socketpair(PTS_AF_UNIX, PTS_SOCK_STREAM, 0, sv) != 0) {
			fprintf(stderr, "socketpair failed\n");
			return 1;
		}
		return pingpong(sv[0], sv[1], n);
	} else if (strcmp(argv[1], "recv-wait") == 0) {
		int32_t fd;
		if (pts_fromfd("peer", 4, &fd) != 0) {
			fprintf(stderr, "fromfd failed\n");
			return 1;
		}
		return pingpong(fd, fd, n);
	} else {
		for (long i = 0; i < n; i++)
			sum += pts_abi_version();
	}
	return sum == 1 ? 1 : 0;
}
