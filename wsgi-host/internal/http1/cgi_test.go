package http1

import (
	"net/url"
	"testing"
)

func TestAppendCGIKey(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"Host", "HTTP_HOST", true},
		{"x-forwarded-for", "HTTP_X_FORWARDED_FOR", true},
		{"X-Forwarded-For", "HTTP_X_FORWARDED_FOR", true},
		{"aCcEpT-1.2", "HTTP_ACCEPT_1.2", true},
		{"X_Forwarded_For", "", false},
		{"_", "", false},
		{"", "", false},
		{"Bad Name", "", false},
	} {
		got, ok := AppendCGIKey([]byte("k="), tc.name)
		if ok != tc.ok {
			t.Errorf("AppendCGIKey(%q) ok = %v", tc.name, ok)
			continue
		}
		want := "k=" + tc.want
		if string(got) != want {
			t.Errorf("AppendCGIKey(%q) = %q, want %q", tc.name, got, want)
		}
		gotB, okB := AppendCGIKey(nil, []byte(tc.name))
		if okB != ok || string(gotB) != tc.want {
			t.Errorf("AppendCGIKey([]byte %q) = %q, %v", tc.name, gotB, okB)
		}
	}
}

func TestAppendUnescapePath(t *testing.T) {
	for _, tc := range []struct {
		raw, want string
		status    int
	}{
		{"/", "/", 0},
		{"/a%20b", "/a b", 0},
		{"/a+b", "/a+b", 0},
		{"/%41%62%2f%2F", "/Ab//", 0},
		{"/caf%C3%A9", "/caf\xc3\xa9", 0},
		{"%25", "%", 0},
		{"%252F", "%2F", 0},
		{"", "", 0},
		{"/%", "", 400},
		{"/%4", "", 400},
		{"/%4g", "", 400},
		{"/%g4", "", 400},
		{"/%%41", "", 400},
		{"/a%00b", "", 400},
	} {
		got, err := AppendUnescapePath([]byte("p="), tc.raw)
		if tc.status != 0 {
			if statusOf(err) != tc.status || string(got) != "p=" {
				t.Errorf("AppendUnescapePath(%q) = %q, %v; want status %d and dst unchanged", tc.raw, got, err, tc.status)
			}
			continue
		}
		if err != nil || string(got) != "p="+tc.want {
			t.Errorf("AppendUnescapePath(%q) = %q, %v; want %q", tc.raw, got, err, tc.want)
		}
		// Same answer as net/url for valid input.
		if std, err := url.PathUnescape(tc.raw); err != nil || std != tc.want {
			t.Errorf("url.PathUnescape(%q) = %q, %v", tc.raw, std, err)
		}
	}
}
