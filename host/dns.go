package host

import (
	"sync"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/internal/dnsclient"
)

// ResolverConfig configures the DNS resolver guests use. The zero value
// reads /etc/resolv.conf and /etc/hosts.
type ResolverConfig struct {
	// Nameservers overrides resolv.conf's servers ("127.0.0.1:5353").
	Nameservers []string
	// ResolvConf and HostsFile name the files to read ("" for the system's).
	ResolvConf, HostsFile string
	// Timeout bounds one query attempt (default 5s); Attempts is how many
	// tries each server gets (default 2).
	Timeout  time.Duration
	Attempts int
	// Search replaces resolv.conf's search list when non-nil (empty and
	// non-nil: no search list); Ndots replaces its ndots option when > 0.
	Search []string
	Ndots  int
	// PureGo makes loops on the libevent backend resolve with the pure-Go
	// resolver too. By default they use libevent's evdns (evloop/evdns),
	// and loops on other backends, or builds without cgo, the pure-Go one;
	// both give guests the same answers and errors.
	PureGo bool
}

func (c ResolverConfig) client() dnsclient.Config {
	return dnsclient.Config{
		Nameservers: c.Nameservers,
		ResolvConf:  c.ResolvConf,
		HostsFile:   c.HostsFile,
		Search:      c.Search,
		Ndots:       c.Ndots,
		Timeout:     c.Timeout,
		Attempts:    c.Attempts,
		PureGo:      c.PureGo,
	}
}

// resolverSet holds one resolver per loop: a resolver's sockets and state
// belong to its loop's goroutine, so loops share nothing but the config.
type resolverSet struct {
	cfg dnsclient.Config
	mu  sync.Mutex
	by  map[*evloop.Loop]*dnsclient.Resolver
}

// newResolverSet makes the resolvers of the runtime's loops. It fails on a
// malformed nameserver address.
func newResolverSet(r *Runtime, cfg ResolverConfig) (*resolverSet, error) {
	s := &resolverSet{cfg: cfg.client(), by: map[*evloop.Loop]*dnsclient.Resolver{}}
	for _, l := range r.loops {
		if _, err := s.get(l); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// get returns loop's resolver, making it for loops the runtime did not
// make (an embedder's InstanceConfig.Loop).
func (s *resolverSet) get(l *evloop.Loop) (*dnsclient.Resolver, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if res, ok := s.by[l]; ok {
		return res, nil
	}
	res, err := dnsclient.New(l, s.cfg)
	if err != nil {
		return nil, err
	}
	s.by[l] = res
	return res, nil
}
