package gateway

import (
	"math/bits"
	"unsafe"
)

// Scanning the environ ("KEY\0VALUE\0" pairs) is most of what a small
// request costs the SDK, and a guest pays for calls and loop iterations
// several times what native code does: strings.IndexByte is three calls
// deep and its wasm assembly goes byte by byte, and == on strings calls
// runtime.memequal's byte loop. These helpers read eight bytes at a time
// (wasm loads are little-endian and may be unaligned), in one call or
// inlined. BenchmarkGuestCall in wsgi-host measures them.

// nextPair splits the first KEY\0VALUE\0 pair off an environ; ok is false
// at its end (or where it is cut short).
func nextPair(env string) (k, v, rest string, ok bool) {
	i := indexNUL(env, 0)
	if i < 0 {
		return "", "", "", false
	}
	j := indexNUL(env, i+1)
	if j < 0 {
		return "", "", "", false
	}
	return env[:i], env[i+1 : j], env[j+1:], true
}

// lookupEnv returns the value of key in env and whether env has it: one
// call, two indexNUL per pair and a word-wise compare.
func lookupEnv(env, key string) (string, bool) {
	for i := 0; ; {
		k := indexNUL(env, i)
		if k < 0 {
			return "", false
		}
		v := indexNUL(env, k+1)
		if v < 0 {
			return "", false
		}
		if k-i == len(key) && strEq(env[i:k], key) { // most keys differ in length: no call
			return env[k+1 : v], true
		}
		i = v + 1
	}
}

// The host writes the environ's first five keys in this order (SPEC.md),
// so the Ctx accessors of their values find them by position: the keys
// are checked, not scanned for their NUL, and the pairs after the value
// are never looked at. An environ that starts otherwise is searched.
const (
	leadMethod = iota // REQUEST_METHOD
	leadScript        // SCRIPT_NAME
	leadPath          // PATH_INFO
	leadQuery         // QUERY_STRING
	leadURI           // REQUEST_URI
)

// leadKeys are the leading keys with their NUL: 10 to 15 bytes each.
var leadKeys = [...]string{"REQUEST_METHOD\x00", "SCRIPT_NAME\x00", "PATH_INFO\x00", "QUERY_STRING\x00", "REQUEST_URI\x00"}

// leadingValue returns the value of leading key n (leadMethod ...) in
// env, or "" when env has none.
func leadingValue(env string, n int) string {
	i := 0
	for k, key := range leadKeys[:n+1] {
		m := len(key)
		// Two loads from each side, overlapping: every key is 10 to 15 bytes.
		if len(env)-i < m || load64(env, i) != load64(key, 0) || load64(env, i+m-8) != load64(key, m-8) {
			v, _ := lookupEnv(env, leadKeys[n][:len(leadKeys[n])-1])
			return v
		}
		i += m
		j := indexNUL(env, i)
		if j < 0 {
			return "" // cut short: no later pair either
		}
		if k == n {
			return env[i:j]
		}
		i = j + 1
	}
	return ""
}

// indexNUL returns the index of the first NUL byte of s at or after from
// (0 <= from <= len(s)), or -1.
func indexNUL(s string, from int) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := from
	for ; i+8 <= len(s); i += 8 {
		// The lowest set bit of (w-lo) &^ w & hi marks the first zero
		// byte exactly (a borrow can only mark bytes above it).
		if w := load64(s, i); (w-lo)&^w&hi != 0 {
			return i + bits.TrailingZeros64((w-lo)&^w&hi)/8
		}
	}
	for ; i < len(s); i++ {
		if s[i] == 0 {
			return i
		}
	}
	return -1
}

// keyIs reports whether environ key k is lit, which must be 8 to 16 bytes
// long (every CGI key the SDK looks for is): two loads from each,
// overlapping for keys shorter than 16.
func keyIs(k, lit string) bool {
	n := len(lit)
	return len(k) == n && load64(k, 0) == load64(lit, 0) && load64(k, n-8) == load64(lit, n-8)
}

// strEq reports whether a == b, comparing eight bytes at a time.
func strEq(a, b string) bool {
	n := len(a)
	if n != len(b) {
		return false
	}
	if n < 8 {
		for i := 0; i < n; i++ {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	for i := 0; i < n-8; i += 8 {
		if load64(a, i) != load64(b, i) {
			return false
		}
	}
	return load64(a, n-8) == load64(b, n-8)
}

// load64 reads s[i:i+8] as one word; the caller checks the bounds. The
// byte order is the machine's: little-endian in wasm, as on the machines
// the package's tests run on (indexNUL depends on it).
func load64(s string, i int) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i))
}
