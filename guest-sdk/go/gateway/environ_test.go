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

// FuzzEnvironLookup checks Ctx.LookupEnv, its accessors and newRequest against
// arbitrary environs: the same answers as refLookup, and no panic (the
// helpers read memory eight bytes at a time; an off-by-one would read
// past the string).
func FuzzEnvironLookup(f *testing.F) {
	f.Add("REQUEST_METHOD\x00GET\x00SCRIPT_NAME\x00\x00PATH_INFO\x00/a\x00", "PATH_INFO")
	f.Add("REQUEST_METHOD\x00GET\x00PATH_INFO", "PATH_INFO")
	f.Add("\x00\x00\x00", "")
	f.Add("QUERY_STRING\x00x=1\x00REQUEST_URI\x00/?x=1\x00HTTP_HOST\x00h\x00", "REQUEST_URI")
	// The host's order, which the accessors read by position, and near
	// misses of it that they must search instead.
	f.Add("REQUEST_METHOD\x00GET\x00SCRIPT_NAME\x00\x00PATH_INFO\x00/a b\x00QUERY_STRING\x00x=1\x00REQUEST_URI\x00/a%20b?x=1\x00SERVER_NAME\x00h\x00", "QUERY_STRING")
	f.Add("REQUEST_METHOD\x00GET\x00SCRIPT_NAME\x00\x00PATH_INFX\x00/a\x00QUERY_STRING\x00\x00PATH_INFO\x00/b\x00", "PATH_INFO")
	f.Add("REQUEST_METHOD\x00GET\x00SCRIPT_NAME\x00/app\x00QUERY_STRING\x00q\x00PATH_INFO\x00/c\x00REQUEST_URI\x00/app/c?q\x00", "REQUEST_URI")
	f.Add("REQUEST_METHOD\x00GET\x00SCRIPT_NAME\x00\x00PATH_INFO\x00/cut", "PATH_INFO")
	f.Fuzz(func(t *testing.T, env, key string) {
		want, wantOK := refLookup(env, key)
		c := &Ctx{env: env}
		if got, ok := c.LookupEnv(key); got != want || ok != wantOK {
			t.Fatalf("LookupEnv(%q) in %q = %q, %v; want %q, %v", key, env, got, ok, want, wantOK)
		}
		for k, got := range map[string]string{
			"REQUEST_METHOD": c.Method(), "PATH_INFO": c.Path(), "QUERY_STRING": c.Query(), "REQUEST_URI": c.RequestURI(),
		} {
			if want, _ := refLookup(env, k); got != want {
				t.Fatalf("the accessor of %s in %q = %q, want %q", k, env, got, want)
			}
		}
		newRequest([]byte(env), &reqFD{fd: 3}) // must not panic
	})
}

// TestIndexNUL: the eight-bytes-at-a-time scan finds the first NUL from
// every start, at every position and alignment, and -1 when there is
// none; a byte of 1 right above a NUL (where a borrow marks a false zero)
// does not move the answer.
func TestIndexNUL(t *testing.T) {
	for n := 0; n <= 40; n++ {
		for nul := -1; nul < n; nul++ {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(0x80 + i) // never 0 for n <= 40
			}
			if nul >= 0 {
				b[nul] = 0
				if nul+1 < n {
					b[nul+1] = 1
				}
			}
			for from := 0; from <= n; from++ {
				want := -1
				if nul >= from {
					want = nul
				}
				if got := indexNUL(string(b), from); got != want {
					t.Fatalf("indexNUL(%q, %d) = %d, want %d", b, from, got, want)
				}
			}
		}
	}
}

// TestStrEq: strEq agrees with == for every length up to 40 and a
// difference at every position.
func TestStrEq(t *testing.T) {
	for n := 0; n <= 40; n++ {
		a := strings.Repeat("k", n)
		if !strEq(a, strings.Clone(a)) || strEq(a, a+"x") || strEq(a+"x", a) {
			t.Fatalf("strEq wrong for equal or different lengths at %d", n)
		}
		for i := 0; i < n; i++ {
			b := []byte(a)
			b[i] = 'K'
			if strEq(a, string(b)) {
				t.Fatalf("strEq(%q, %q) = true", a, b)
			}
		}
	}
	if !keyIs("PATH_INFO", "PATH_INFO") || keyIs("PATH_INFX", "PATH_INFO") || keyIs("XATH_INFO", "PATH_INFO") ||
		keyIs("PATH_INF", "PATH_INFO") || keyIs("SERVER_PROTOCOL", "SERVER_PROTOCOX") {
		t.Errorf("keyIs")
	}
}
