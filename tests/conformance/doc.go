// Package conformance is ptsevent's guest ABI conformance suite and its
// runner: guest programs built from source (tests/conformance/guests: Go
// on the SDK and on the raw bindings guest-sdk/go/sys, C on
// guest-sdk/c/ptsevent.h, and a C gateway app) that exercise every
// function of the ABI table (abi.Functions), success and error paths, and
// a table of cases, each a guest, its arguments, the peers the runner sets
// up for it and the expected outcome.
//
// Run runs every case on every event loop backend, each in a fresh
// instance with a deadline, and returns a Report (a table, JSON, and the
// closing line "N passed, M failed"). It also checks coverage: every
// function of the ABI table must be implemented by the host, imported by
// the guest of some case (read from the guests' import sections) and
// claimed by some case's Covers list.
//
// `ptsevent conformance` runs the suite on guests built by `make wasm`;
// `go test ./tests/conformance/...` builds them with internal/testguest.
// README.md describes the protocol between the runner and the guests, so
// that another host implementing the ABI can run the same guests.
package conformance
