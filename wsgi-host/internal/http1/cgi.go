package http1

// AppendCGIKey appends the CGI/WSGI environ key of a request field name
// (RFC 3875 section 4.1.18, PEP 3333): "HTTP_" followed by the name in upper
// case with every '-' replaced by '_' ("X-Forwarded-For" becomes
// "HTTP_X_FORWARDED_FOR").
//
// ok is false, and dst is returned unchanged, when the name contains '_' (or
// is not a valid token): such a field must be dropped from the environ,
// since "X_Forwarded_For" would otherwise produce the same key as
// "X-Forwarded-For" and let a client smuggle a value past a proxy that only
// filters the dashed spelling. Content-Type and Content-Length are given to
// CGI as CONTENT_TYPE and CONTENT_LENGTH, without the prefix; that is up to
// the caller.
func AppendCGIKey[T ~string | ~[]byte](dst []byte, name T) (_ []byte, ok bool) {
	if len(name) == 0 {
		return dst, false
	}
	for i := 0; i < len(name); i++ {
		if b := name[i]; b == '_' || !isTchar(b) {
			return dst, false
		}
	}
	dst = append(dst, "HTTP_"...)
	for i := 0; i < len(name); i++ {
		b := name[i]
		switch {
		case 'a' <= b && b <= 'z':
			b -= 'a' - 'A'
		case b == '-':
			b = '_'
		}
		dst = append(dst, b)
	}
	return dst, true
}

// AppendUnescapePath appends the percent-decoded form of a raw request path
// (such as [Request.Path]) to dst, for the CGI/WSGI PATH_INFO. Only "%XX"
// escapes are decoded; '+' stays '+' (it means a space only in form-encoded
// queries). A '%' not followed by two hexadecimal digits, or an escape that
// decodes to NUL (which C-based guests would take as the end of the string),
// is an [*Error] with status 400, and dst is then returned unchanged.
func AppendUnescapePath[T ~string | ~[]byte](dst []byte, raw T) ([]byte, error) {
	n0 := len(dst)
	for i := 0; i < len(raw); i++ {
		b := raw[i]
		if b != '%' {
			dst = append(dst, b)
			continue
		}
		if i+2 >= len(raw) || charClass[raw[i+1]]&cHex == 0 || charClass[raw[i+2]]&cHex == 0 {
			return dst[:n0], errEscape
		}
		b = unhex(raw[i+1])<<4 | unhex(raw[i+2])
		if b == 0 {
			return dst[:n0], errNULPath
		}
		dst = append(dst, b)
		i += 2
	}
	return dst, nil
}
