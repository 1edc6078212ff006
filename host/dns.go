package host

import "time"

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
}

// resolverSet holds each loop's resolver. (Filled in by the DNS imports.)
type resolverSet struct{}

func newResolverSet(r *Runtime, cfg ResolverConfig) (*resolverSet, error) {
	return &resolverSet{}, nil
}
