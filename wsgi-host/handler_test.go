package wsgihost

import (
	"bytes"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ptsevent/ptsevent/host"
)

// TestHandler mounts the guest apps in net/http through the adapter and
// checks that they behave as behind the built-in server.
func TestHandler(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *testEnv) {
		for _, dir := range []string{cGuestDir, goGuestDir} {
			t.Run(dir[strings.LastIndexByte(dir, '/')+1:], func(t *testing.T) {
				srv := httptest.NewServer(Handler(e.rt, e.module(t, dir), host.InstanceConfig{}))
				defer srv.Close()
				c := srv.Client()
				code, body, h := httpGet(t, c, srv.URL+"/")
				if code != 200 || body != "Hello, World!\n" || h.Get("Content-Length") != "14" {
					t.Fatalf("/: %d %q %v", code, body, h)
				}
				big := bytes.Repeat([]byte("x"), 150000)
				resp, err := c.Post(srv.URL+"/echo", "text/plain", bytes.NewReader(big))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !bytes.Equal(b, big) {
					t.Fatalf("echo: %d, %d bytes", resp.StatusCode, len(b))
				}
				if dir != cGuestDir {
					return
				}
				code, body, _ = httpGet(t, c, srv.URL+"/stream?n=100000")
				if code != 200 || len(body) != 100000 {
					t.Errorf("stream: %d, %d bytes", code, len(body))
				}
				code, body, _ = httpGet(t, c, srv.URL+"/env/x%20y?q=1")
				env := envLines([]byte(body))
				if code != 200 || env["PATH_INFO"] != "/env/x y" || env["QUERY_STRING"] != "q=1" || env["REQUEST_METHOD"] != "GET" ||
					env["SERVER_NAME"] != "127.0.0.1" || env["REMOTE_ADDR"] != "127.0.0.1" || env["URL_SCHEME"] != "http" || env["HTTP_HOST"] == "" {
					t.Errorf("env: %d\n%s", code, body)
				}
				for k := range env {
					if !strings.HasPrefix(k, "HTTP_") && !contains(EnvironKeys, k) {
						t.Errorf("undocumented key %s", k)
					}
				}
				for path, want := range map[string]int{"/trap": 500, "/inject": 500, "/nostart": 500, "/fail": 500, "/204": 204, "/": 200} {
					code, body, h := httpGet(t, c, srv.URL+path)
					if code != want || h.Get("X-Good") != "" || h.Get("Injected") != "" {
						t.Errorf("%s: %d %q %v, want %d", path, code, body, h, want)
					}
				}
				code, body, h = httpGet(t, c, srv.URL+"/exc")
				if code != 500 || body != "error page\n" || h.Get("X-Second") != "2" || h.Get("X-First") != "" {
					t.Errorf("exc: %d %q %v", code, body, h)
				}
				// A failure after the response started aborts it.
				resp, err = c.Get(srv.URL + "/exc-late")
				if err == nil {
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				if err == nil {
					t.Errorf("exc-late: read cleanly")
				}
			})
		}
	})
}
