package main

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
)

func TestVersion(t *testing.T) {
	r := ptsevent(t, invocation{args: []string{"version"}})
	if r.code != 0 {
		t.Fatalf("ptsevent version: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	want := []string{
		`(?m)^ptsevent \S+`,
		fmt.Sprintf(`(?m)^abi:\s+%d\.%d$`, abi.Version, abi.VersionMinor),
		`(?m)^wazero:\s+v\d+\.\d+\.\d+`,
		`(?m)^go:\s+` + regexp.QuoteMeta(runtime.Version()),
		`(?m)^backends:\s+` + regexp.QuoteMeta(strings.Join(evloop.Backends(), ", ")) +
			` \(default ` + regexp.QuoteMeta(evloop.DefaultBackend()) + `\)$`,
	}
	for _, re := range want {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("ptsevent version output does not match %s:\n%s", re, r.stdout)
		}
	}
}
