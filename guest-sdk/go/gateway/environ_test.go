package gateway

import (
	"strings"
	"testing"
)

// refLookup is the plain reading of an environ that the word-at-a-time
// helpers must agree with: split on NUL, pairs in order, a trailing pair
// without its terminating NUL ignored.
func refLookup(env, key string) (string, bool) {
	for {
		k, rest, ok := strings.Cut(env, "\x00")
		if !ok {
			return "", false
		}
		v, rest, ok := strings.Cut(rest, "\x00")
		if !ok {
			return "", false
		}
		if k == key {
			return v, true
		}
		env = rest
	}
}

// FuzzEnvironLookup checks cgiValue, Ctx.LookupEnv and newRequest against
// arbitrary environs: the same answers as refLookup, and no panic (the
// helpers read memory eight bytes at a time; an off-by-one would read
// past the string).
func FuzzEnvironLookup(f *testing.F) {
	f.Add("REQUEST_METHOD\x00GET\x00SCRIPT_NAME\x00\x00PATH_INFO\x00/a\x00", "PATH_INFO")
	f.Add("REQUEST_METHOD\x00GET\x00PATH_INFO", "PATH_INFO")
	f.Add("\x00\x00\x00", "")
	f.Add("QUERY_STRING\x00x=1\x00REQUEST_URI\x00/?x=1\x00HTTP_HOST\x00h\x00", "REQUEST_URI")
	f.Fuzz(func(t *testing.T, env, key string) {
		want, wantOK := refLookup(env, key)
		c := &Ctx{env: env}
		if got, ok := c.LookupEnv(key); got != want || ok != wantOK {
			t.Fatalf("LookupEnv(%q) in %q = %q, %v; want %q, %v", key, env, got, ok, want, wantOK)
		}
		for _, k := range []string{"REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "REQUEST_URI"} {
			if got, _ := refLookup(env, k); cgiValue(env, k) != got {
				t.Fatalf("cgiValue(%q) in %q = %q, want %q", k, env, cgiValue(env, k), got)
			}
		}
		newRequest([]byte(env), &reqFD{fd: 3}) // must not panic
	})
}
