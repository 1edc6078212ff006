package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
)

// envList is the repeatable --env flag: "K=V" sets K, a bare "K" passes
// the host's value of K through (and is skipped when the host has none).
type envList []string

func (e *envList) String() string { return strings.Join(*e, ",") }
func (e *envList) Set(v string) error {
	k, _, hasValue := strings.Cut(v, "=")
	if k == "" {
		return fmt.Errorf("want KEY=VALUE or KEY, got %q", v)
	}
	if !hasValue {
		hv, ok := os.LookupEnv(k)
		if !ok {
			return nil
		}
		v = k + "=" + hv
	}
	*e = append(*e, v)
	return nil
}

// dirList is the repeatable --dir flag: "host:guest[:ro]", or a single
// path mounted at the same path in the guest.
type dirList []host.DirMount

func (d *dirList) String() string {
	var parts []string
	for _, m := range *d {
		s := m.Host + ":" + m.Guest
		if m.ReadOnly {
			s += ":ro"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ",")
}

func (d *dirList) Set(v string) error {
	parts := strings.Split(v, ":")
	var m host.DirMount
	switch {
	case len(parts) == 1:
		m = host.DirMount{Host: parts[0], Guest: parts[0]}
	case len(parts) == 2 && parts[1] == "ro":
		m = host.DirMount{Host: parts[0], Guest: parts[0], ReadOnly: true}
	case len(parts) == 2:
		m = host.DirMount{Host: parts[0], Guest: parts[1]}
	case len(parts) == 3 && (parts[2] == "ro" || parts[2] == "rw"):
		m = host.DirMount{Host: parts[0], Guest: parts[1], ReadOnly: parts[2] == "ro"}
	default:
		return fmt.Errorf("want HOST:GUEST[:ro], got %q", v)
	}
	if m.Host == "" || m.Guest == "" {
		return fmt.Errorf("want HOST:GUEST[:ro], got %q", v)
	}
	if !strings.HasPrefix(m.Guest, "/") {
		m.Guest = "/" + m.Guest
	}
	fi, err := os.Stat(m.Host)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", m.Host)
	}
	*d = append(*d, m)
	return nil
}

// patternList is a repeatable address-pattern flag (--allow-connect,
// --allow-bind), parsed with host.ParseAddrPattern.
type patternList struct {
	raw []string
	pat []host.AddrPattern
}

func (p *patternList) String() string { return strings.Join(p.raw, ",") }
func (p *patternList) Set(v string) error {
	ap, err := host.ParseAddrPattern(v)
	if err != nil {
		return err
	}
	p.raw = append(p.raw, v)
	p.pat = append(p.pat, ap)
	return nil
}

// capFlags are the flags that grant a guest capabilities; every command
// that runs guests shares them.
type capFlags struct {
	dirs    dirList
	connect patternList
	bind    patternList
	dns     bool
}

func (c *capFlags) register(fs *flag.FlagSet) {
	fs.Var(&c.dirs, "dir", "mount a host directory: `HOST:GUEST[:ro]` (repeatable)")
	fs.Var(&c.connect, "allow-connect", "let the guest connect to addresses matching `PATTERN`, e.g. 127.0.0.1:8080, *:443, 10.0.0.0/8:*, unix:/tmp/* (repeatable)")
	fs.Var(&c.bind, "allow-bind", "let the guest bind and listen on addresses matching `PATTERN` (repeatable)")
	fs.BoolVar(&c.dns, "allow-dns", false, "let the guest resolve names")
}

func (c *capFlags) caps() host.Capabilities {
	return host.Capabilities{
		Dirs:    c.dirs,
		Connect: c.connect.pat,
		Bind:    c.bind.pat,
		DNS:     c.dns,
	}
}

// runtimeFlags configure the host runtime; every command that runs guests
// shares them.
type runtimeFlags struct {
	backend string
	cache   string
}

// defaultCacheDir is $XDG_CACHE_HOME/ptsevent (os.UserCacheDir), or "" when
// the user has no cache directory.
func defaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "ptsevent")
}

func (r *runtimeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.backend, "backend", "", fmt.Sprintf("event loop backend: one of %s (default %s)",
		strings.Join(evloop.Backends(), ", "), evloop.DefaultBackend()))
	fs.StringVar(&r.cache, "cache", defaultCacheDir(), "keep compiled guests in `DIR`; '' disables the cache")
}

// errUsage marks errors that are the user's (exit status 2).
var errUsage = errors.New("usage")

// check validates the flags before anything is started.
func (r *runtimeFlags) check() error {
	if r.backend != "" && !slices.Contains(evloop.Backends(), r.backend) {
		return fmt.Errorf("%w: unknown backend %q (compiled in: %s)", errUsage, r.backend, strings.Join(evloop.Backends(), ", "))
	}
	return nil
}

// newRuntime starts a runtime with loops event loops. An unusable default
// cache directory is not an error: the cache is then skipped.
func (r *runtimeFlags) newRuntime(ctx context.Context, loops int) (*host.Runtime, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	cache := r.cache
	if cache != "" && cache == defaultCacheDir() {
		if err := os.MkdirAll(cache, 0o755); err != nil {
			fmt.Fprintf(os.Stderr, "ptsevent: warning: no compilation cache: %v\n", err)
			cache = ""
		}
	}
	return host.NewRuntime(ctx, host.Config{Backend: r.backend, Loops: loops, CacheDir: cache})
}

// registerMaxFDs registers --max-fds, the size of each guest instance's
// descriptor table (InstanceConfig.MaxDescriptors).
func registerMaxFDs(fs *flag.FlagSet, p *int) {
	fs.IntVar(p, "max-fds", host.DefaultMaxDescriptors,
		"let each guest instance hold up to `N` descriptors (sockets, pipes, files; standard input, output and error count); beyond, it gets EMFILE")
}

// checkMaxFDs validates --max-fds. Go already raises the process's soft
// RLIMIT_NOFILE to its hard limit at start, so it only warns when N is
// beyond that limit: the guest would then get ENFILE/EMFILE before its
// table is full.
func checkMaxFDs(cmd string, n int) error {
	if n < 3 {
		return fmt.Errorf("%w: --max-fds %d: want at least 3", errUsage, n)
	}
	if lim, ok := openFileLimit(); ok && uint64(n) > lim {
		fmt.Fprintf(os.Stderr, "ptsevent %s: warning: --max-fds %d exceeds this process's open-file limit (%d; see ulimit -n): the guest may get EMFILE earlier\n", cmd, n, lim)
	}
	return nil
}
