package http1

// Byte classes, one bit each in charClass.
const (
	cTchar  = 1 << iota // RFC 9110 5.6.2 tchar
	cVchar              // field-value octet: VCHAR, obs-text, SP, HTAB (RFC 9110 5.5)
	cTarget             // request-target octet: visible, not '#', obs-text tolerated
	cHost               // uri-host / authority octet (RFC 3986 3.2): unreserved, sub-delims, pct, ':', '[', ']'
	cHex                // HEXDIG
)

var charClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		alnum := 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
		if alnum || contains("!#$%&'*+-.^_`|~", b) {
			t[c] |= cTchar
		}
		if b == '\t' || b >= 0x20 && b != 0x7f {
			t[c] |= cVchar
		}
		if b > 0x20 && b != 0x7f && b != '#' {
			t[c] |= cTarget
		}
		if alnum || contains("-._~!$&'()*+,;=%:[]", b) {
			t[c] |= cHost
		}
		if '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F' {
			t[c] |= cHex
		}
	}
	return t
}()

func contains(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}

func isTchar(b byte) bool { return charClass[b]&cTchar != 0 }

// validToken reports whether s is a non-empty RFC 9110 token.
func validToken[T ~string | ~[]byte](s T) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if charClass[s[i]]&cTchar == 0 {
			return false
		}
	}
	return true
}

// allClass reports whether every byte of s has class bit c.
func allClass(s []byte, c uint8) bool {
	for _, b := range s {
		if charClass[b]&c == 0 {
			return false
		}
	}
	return true
}

// lower returns the ASCII lower case of b.
func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// equalFold reports whether s equals the lower-case ASCII string t, ignoring
// ASCII case in s. It does not allocate.
func equalFold[T ~string | ~[]byte](s T, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lower(s[i]) != t[i] {
			return false
		}
	}
	return true
}

// trimOWS strips leading and trailing SP and HTAB.
func trimOWS(s []byte) []byte {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// cutMember splits the first member off a comma-separated list (RFC 9110
// 5.6.1), trimming OWS around it. more reports whether a comma followed, so
// a loop sees every member, empty ones included ("a,,b" and "a," have an
// empty member; "" is one empty member).
func cutMember(list []byte) (member, rest []byte, more bool) {
	for i, b := range list {
		if b == ',' {
			return trimOWS(list[:i]), list[i+1:], true
		}
	}
	return trimOWS(list), nil, false
}

func unhex(b byte) byte {
	switch {
	case '0' <= b && b <= '9':
		return b - '0'
	case 'a' <= b && b <= 'f':
		return b - 'a' + 10
	default:
		return b - 'A' + 10
	}
}
