package conformance

import (
	"time"
)

// The guests of the suite, built from source under GuestRoot (one
// directory each, by the Makefile's convention: main.go for Go, main.c for
// C; `make wasm` writes build/wasm/NAME.wasm).
const (
	// GuestGoRaw calls the imports directly through guest-sdk/go/sys.
	GuestGoRaw = "conformance-go-raw"
	// GuestGoSDK uses the Go guest SDK (guest-sdk/go) as an application
	// does.
	GuestGoSDK = "conformance-go-sdk"
	// GuestC is a C guest on guest-sdk/c/ptsevent.h: bad descriptors and
	// bad pointers for every function, and the blocking style.
	GuestC = "conformance-c"
	// GuestCGateway is a C gateway app (a reactor exporting pts_handle).
	GuestCGateway = "conformance-c-gateway"
)

// GuestRoot is the directory of the guests' sources, relative to the
// repository root.
const GuestRoot = "tests/conformance/guests"

// GuestDir returns the source directory of guest name, relative to the
// repository root.
func GuestDir(name string) string { return GuestRoot + "/" + name }

// DefaultDeadline bounds each case's guest (Case.Deadline overrides it).
const DefaultDeadline = 10 * time.Second

// Expect is how a case's guest must end.
type Expect int

const (
	// ExitOK: the guest exits with status 0.
	ExitOK Expect = iota
	// ExitDeadline: the host stops the guest at the case's deadline.
	ExitDeadline
)

// Runtime variants: the host configuration a case needs, when not the
// default one.
const (
	// RuntimeDefault has a resolver on the runner's DNS server and TLS
	// with the runner's CA and certificate.
	RuntimeDefault = ""
	// RuntimeNoTLSServer has no tls_server certificate.
	RuntimeNoTLSServer = "no-tls-server"
)

// Case is one conformance case: a guest, its arguments, the peers the
// runner sets up for it, and the expected outcome.
type Case struct {
	// Name identifies the case ("tcp/timeouts"); --run matches it.
	Name string
	// Guest names the guest program (GuestGoRaw, ...).
	Guest string
	// Args follow the program name; for a command guest the first one
	// names its scenario. Setup may add more.
	Args []string
	// Covers lists the ABI functions the case exercises. Each must be
	// imported by the guest; together, the cases must cover abi.Functions.
	Covers []string
	// Want lists the checks that must be reported "ok" (by the guest, or
	// by a peer: "peer/..."), so that a guest that skips a check fails.
	Want []string
	// Setup prepares the instance and starts the peers; nil for none.
	Setup func(s *Setup) error
	// Gateway, for a gateway guest, is the HTTP client that drives it:
	// the runner serves the guest with wsgi-host's server and calls
	// Gateway with the server's address.
	Gateway func(g *Gateway)
	// Deadline bounds the guest (DefaultDeadline when 0).
	Deadline time.Duration
	// Expect is how the guest must end.
	Expect Expect
	// Runtime names the host configuration variant (RuntimeDefault, ...).
	Runtime string
}

func (c *Case) deadline() time.Duration {
	if c.Deadline > 0 {
		return c.Deadline
	}
	return DefaultDeadline
}
