// yieldloop: the guest of the host's suspend+resume benchmark. It calls
// an import N times: "yield" parks the guest inside sched_yield and the
// loop resumes it; "call" makes an import that never parks (abi_version),
// the cost of the call alone.
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptsevent.h"

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: yieldloop yield|call N\n");
		return 2;
	}
	long n = atol(argv[2]);
	unsigned sum = 0;
	if (strcmp(argv[1], "yield") == 0) {
		for (long i = 0; i < n; i++)
			sched_yield();
	} else {
		for (long i = 0; i < n; i++)
			sum += pts_abi_version();
	}
	return sum == 1 ? 1 : 0;
}
