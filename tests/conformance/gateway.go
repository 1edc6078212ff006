package conformance

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ptsevent/ptsevent/host"
	wsgihost "github.com/ptsevent/ptsevent/wsgi-host"
)

// Gateway is what a gateway case's client gets: the address of the HTTP
// server (wsgi-host's) that runs the guest app, and a way to report
// checks.
type Gateway struct {
	// URL is "http://127.0.0.1:PORT", the server's root.
	URL string
	// Client is an HTTP client with a timeout.
	Client *http.Client
	s      *Setup
}

// Check records a client-side check: passed when err is nil.
func (g *Gateway) Check(name string, err error) { g.s.Check(name, err) }

// Do sends a request to path on the server and returns the response with
// its body read.
func (g *Gateway) Do(method, path string, header http.Header, body string) (*http.Response, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, g.URL+path, rd)
	if err != nil {
		return nil, "", err
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := g.Client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

// runGateway serves mod with wsgi-host's server on a loopback port (one
// worker on the runtime's loop, a pool of two instances), runs the case's
// client against it, and stops the server.
func runGateway(rt *host.Runtime, mod *host.Module, cfg host.InstanceConfig, c *Case, s *Setup, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &wsgihost.Server{
		Runtime:         rt,
		Module:          mod,
		InstanceConfig:  cfg,
		Workers:         1,
		PoolSize:        2,
		RequestDeadline: cfg.Deadline,
		Logger:          log,
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	g := &Gateway{
		URL:    "http://" + srv.Addr().String(),
		Client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: false}},
		s:      s,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Gateway(g)
	}()
	var err error
	select {
	case <-done:
	case <-time.After(c.deadline()):
		err = errors.New("the HTTP client did not finish before the case's deadline")
	}
	g.Client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if serr := srv.Shutdown(ctx); serr != nil && err == nil {
		err = serr
	}
	select {
	case serr := <-served:
		if !errors.Is(serr, wsgihost.ErrServerClosed) && err == nil {
			err = serr
		}
	case <-time.After(5 * time.Second):
		if err == nil {
			err = errors.New("the server did not stop")
		}
	}
	return err
}
