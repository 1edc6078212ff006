package evloop

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// Readiness is a set of readiness conditions of a descriptor.
type Readiness uint8

const (
	// Readable means a read (or accept) will not block.
	Readable Readiness = 1 << iota
	// Writable means a write (or a pending connect's completion) will not block.
	Writable
	// Hangup means the peer closed the connection or an error is pending on
	// the descriptor. Backends report it together with Readable|Writable so
	// that waiters retry their operation and see the result. The libevent
	// backend cannot see a socket error (a TCP reset, a refused connect),
	// which libevent folds into plain read and write readiness: it reports
	// Readable|Writable, and the read or write that follows returns the
	// error.
	Hangup
	// Closed is reported by Task.Poll for a PollDesc closed while it was
	// being waited on (POSIX POLLNVAL).
	Closed
	// ReadHangup means the peer will send nothing more (it shut down its
	// writing side, or closed): once the data queued is read, reads return
	// end of file. Backends report it with Readable. The level stays up, so
	// TryRead keeps reading (to the end of file) after a short read.
	ReadHangup
)

// String renders r as "r|w|hup|closed" for logs and test failures.
func (r Readiness) String() string {
	if r == 0 {
		return "none"
	}
	s := ""
	for _, p := range []struct {
		bit  Readiness
		name string
	}{{Readable, "r"}, {Writable, "w"}, {Hangup, "hup"}, {Closed, "closed"}, {ReadHangup, "rdhup"}} {
		if r&p.bit != 0 {
			if s != "" {
				s += "|"
			}
			s += p.name
		}
	}
	return s
}

// Event is one readiness notification returned by Backend.Wait.
type Event struct {
	// Token is the value given to Backend.Add for the descriptor.
	Token uint64
	// Ready is what the descriptor became ready for.
	Ready Readiness
}

// Backend is the readiness-notification mechanism under a Loop, in the spirit
// of libevent's struct eventop: a small table of operations that every
// backend implements the same way, so the loop above never knows which one
// runs.
//
// Registration is edge-triggered for both directions at once: after Add, the
// backend reports an event whenever the descriptor becomes readable or
// writable (and once at registration for its current state). The loop keeps
// the level (a ready bit per direction) itself, as Go's netpoller does, so a
// descriptor costs one registration for its whole life and no per-wait
// system call.
//
// All methods but Wake are called only from the loop goroutine.
type Backend interface {
	// Name is the backend's name as used by NewBackend ("epoll", "libevent").
	Name() string
	// Add registers fd for edge-triggered read and write readiness; events for
	// it carry token. Add returns ErrNotPollable for descriptors the kernel
	// cannot poll (regular files), which are always ready.
	Add(fd int, token uint64) error
	// Del removes fd's registration. Events already collected for fd may still
	// be returned by the next Wait; the loop discards them by token.
	Del(fd int) error
	// Wait blocks until at least one event is ready, Wake is called, or
	// timeout passes (timeout < 0 blocks without limit; 0 only polls), and
	// appends all ready events to events in one batch.
	Wait(timeout time.Duration, events []Event) ([]Event, error)
	// Wake makes a blocked or the next Wait return promptly. It is safe to
	// call from any goroutine.
	Wake() error
	// Close releases the backend's kernel resources.
	Close() error
}

// BackendFactory makes a new backend instance.
type BackendFactory func() (Backend, error)

var (
	backendsMu sync.Mutex
	backends   = map[string]backendEntry{}
)

type backendEntry struct {
	factory  BackendFactory
	priority int
}

// RegisterBackend makes a backend available to NewBackend under name. The
// backend with the highest priority is the default. Backends register
// themselves from init functions of build-tag-selected files.
func RegisterBackend(name string, priority int, f BackendFactory) {
	backendsMu.Lock()
	defer backendsMu.Unlock()
	backends[name] = backendEntry{factory: f, priority: priority}
}

// Backends lists the names of the backends compiled into this binary, the
// default first.
func Backends() []string {
	backendsMu.Lock()
	defer backendsMu.Unlock()
	names := make([]string, 0, len(backends))
	for n := range backends {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		pi, pj := backends[names[i]].priority, backends[names[j]].priority
		if pi != pj {
			return pi > pj
		}
		return names[i] < names[j]
	})
	return names
}

// DefaultBackend is the name of the backend NewBackend("") makes: libevent
// when cgo is enabled, epoll otherwise.
func DefaultBackend() string {
	names := Backends()
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// NewBackend makes a backend by name; "" selects DefaultBackend.
func NewBackend(name string) (Backend, error) {
	if name == "" {
		name = DefaultBackend()
	}
	backendsMu.Lock()
	e, ok := backends[name]
	backendsMu.Unlock()
	if !ok {
		return nil, fmt.Errorf("evloop: unknown backend %q (compiled in: %v)", name, Backends())
	}
	b, err := e.factory()
	if err != nil {
		return nil, fmt.Errorf("evloop: backend %s: %w", name, err)
	}
	return b, nil
}
