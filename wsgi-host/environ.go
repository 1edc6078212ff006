package wsgihost

import (
	"bytes"
	"strconv"

	"github.com/ptsevent/ptsevent/wsgi-host/internal/http1"
)

// EnvironKeys lists the keys of a request's environ (req_environ), in the
// order they come, with what they hold. Keys marked optional are absent
// when the request has no such value; HTTP_* keys follow, one per request
// header.
//
//	REQUEST_METHOD   the method, as sent ("GET")
//	SCRIPT_NAME      always "" (the app is mounted at the root)
//	PATH_INFO        the path, percent-decoded ("/a b"); a bad escape or
//	                 an escaped NUL is answered with 400 before the guest
//	QUERY_STRING     the raw query, without '?' ("" when none)
//	REQUEST_URI      the raw request target, as sent ("/a%20b?x=1")
//	SERVER_NAME      the Host header's host part, else the local address
//	SERVER_PORT      the local port the request came to ("8080")
//	SERVER_PROTOCOL  "HTTP/1.0" or "HTTP/1.1"
//	REMOTE_ADDR      the client's IP ("127.0.0.1", "::1")
//	REMOTE_PORT      the client's port
//	URL_SCHEME       "http" or "https" (WSGI's wsgi.url_scheme)
//	CONTENT_TYPE     optional: the Content-Type header
//	CONTENT_LENGTH   optional: the Content-Length header (absent for a
//	                 chunked body, whose length is known only at its end)
//	HTTP_*           every other header: "X-Forwarded-For" becomes
//	                 HTTP_X_FORWARDED_FOR. Headers whose names contain '_'
//	                 are dropped (they would collide with dashed ones), and
//	                 so is "Proxy" (httpoxy). Repeated headers are joined
//	                 with ", " ("; " for Cookie). HTTP_HOST is the
//	                 effective host: an absolute-form target's authority
//	                 overrides the Host header.
var EnvironKeys = []string{
	"REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI",
	"SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "REMOTE_ADDR", "REMOTE_PORT",
	"URL_SCHEME", "CONTENT_TYPE", "CONTENT_LENGTH",
}

// envWriter appends KEY\0VALUE\0 pairs.
type envWriter struct{ b []byte }

func (e *envWriter) add(key string, value []byte) {
	e.b = append(e.b, key...)
	e.b = append(e.b, 0)
	e.b = append(e.b, value...)
	e.b = append(e.b, 0)
}

func (e *envWriter) addString(key, value string) {
	e.b = append(e.b, key...)
	e.b = append(e.b, 0)
	e.b = append(e.b, value...)
	e.b = append(e.b, 0)
}

// hostPart strips a ":port" from a Host value ("[::1]:80" -> "[::1]").
func hostPart[T ~string | ~[]byte](h T) T {
	for i := len(h) - 1; i >= 0; i-- {
		switch h[i] {
		case ':':
			return h[:i]
		case ']':
			return h
		}
	}
	return h
}

// buildEnviron builds r.env from the parsed head.
func (r *request) buildEnviron(req *http1.Request) error {
	c := r.c
	e := envWriter{b: r.env[:0]}
	e.b = append(e.b, "REQUEST_METHOD\x00"...)
	r.methodOff = len(e.b)
	e.b = append(e.b, req.Method...)
	r.methodTo = len(e.b)
	e.b = append(e.b, 0)
	e.addString("SCRIPT_NAME", "")
	e.b = append(e.b, "PATH_INFO\x00"...)
	var err error
	if e.b, err = http1.AppendUnescapePath(e.b, req.Path); err != nil {
		r.env = e.b[:0]
		r.methodOff, r.methodTo = 0, 0
		return err
	}
	e.b = append(e.b, 0)
	e.add("QUERY_STRING", req.Query)
	e.b = append(e.b, "REQUEST_URI\x00"...)
	r.uriOff = len(e.b)
	e.b = append(e.b, req.Target...)
	r.uriTo = len(e.b)
	e.b = append(e.b, 0)
	if len(req.Host) > 0 {
		e.add("SERVER_NAME", hostPart(req.Host))
	} else {
		e.addString("SERVER_NAME", c.local.ip)
	}
	e.addString("SERVER_PORT", c.local.port)
	e.add("SERVER_PROTOCOL", req.Proto)
	e.addString("REMOTE_ADDR", c.remote.ip)
	e.addString("REMOTE_PORT", c.remote.port)
	if c.tls != nil {
		e.addString("URL_SCHEME", "https")
	} else {
		e.addString("URL_SCHEME", "http")
	}
	if req.ContentType != nil {
		e.add("CONTENT_TYPE", req.ContentType)
	}
	if !req.Chunked && req.ContentLength >= 0 {
		e.b = append(e.b, "CONTENT_LENGTH\x00"...)
		e.b = strconv.AppendInt(e.b, req.ContentLength, 10)
		e.b = append(e.b, 0)
	}
	if len(req.Host) > 0 {
		e.add("HTTP_HOST", req.Host)
	}
	hs := req.Headers
	for i := range hs {
		name := hs[i].Name
		if skipHeader(name) || seenBefore(hs, i) {
			continue
		}
		var ok bool
		if e.b, ok = http1.AppendCGIKey(e.b, name); !ok {
			continue
		}
		e.b = append(e.b, 0)
		e.b = append(e.b, hs[i].Value...)
		sep := ", "
		if asciiEqualFold(name, "cookie") {
			sep = "; "
		}
		for j := i + 1; j < len(hs); j++ {
			if len(hs[j].Name) == len(name) && bytes.EqualFold(hs[j].Name, name) {
				e.b = append(e.b, sep...)
				e.b = append(e.b, hs[j].Value...)
			}
		}
		e.b = append(e.b, 0)
	}
	r.env = e.b
	return nil
}

// skipHeader reports headers that do not become HTTP_* keys.
func skipHeader(name []byte) bool {
	switch len(name) {
	case 4:
		return asciiEqualFold(name, "host")
	case 5:
		return asciiEqualFold(name, "proxy")
	case 12:
		return asciiEqualFold(name, "content-type")
	case 14:
		return asciiEqualFold(name, "content-length")
	}
	return false
}

// seenBefore reports whether a header before hs[i] has the same name (its
// values were joined there).
func seenBefore(hs []http1.Header, i int) bool {
	name := hs[i].Name
	for j := 0; j < i; j++ {
		if len(hs[j].Name) == len(name) && bytes.EqualFold(hs[j].Name, name) {
			return true
		}
	}
	return false
}
