// Package evdns runs DNS questions through libevent's evdns on the event_base
// of a loop whose backend is libevent (evloop.LibeventBase), without a single
// C-to-Go callback.
//
// How a question travels: Start (on the loop goroutine, from a task) calls
// evdns_base_resolve_ipv4, _ipv6, _reverse or _reverse_ipv6 on the loop's
// base. evdns sends the datagram, matches the reply (transaction ID and
// question) and runs its timers inside event_base_loop, that is inside the
// libevent backend's Wait. Its completion callback is C: it copies the answer
// into the question's C record, appends the record to a C completion queue
// and writes to an eventfd. That eventfd is registered with the loop
// (evloop.Loop.Register) while questions are in flight, and a drainer task
// parks on its readiness; when it wakes it reads the queue in plain Go,
// copies each answer into Go memory, frees the record and wakes the task
// waiting for that question (Query.Wait parks on a virtual PollDesc). Tasks
// are therefore only ever resumed from Go, as evloop requires.
//
// Memory safety: a question's C record is freed exactly once, either by Go
// after the callback queued it, or by the callback itself when Go gave the
// question up first (Query.Cancel marks the record abandoned and calls
// evdns_cancel_request, whose callback evdns still delivers later). At loop
// shutdown a timer armed far in the future, which the loop fires once when
// it closes (before the backend frees its event_base), frees the
// evdns_bases without running callbacks, wakes waiting tasks with
// evloop.ErrLoopClosed and frees every record still alive; no event loop
// iteration runs after that, so no callback can touch freed memory.
//
// A Client asks one nameserver per evdns_base, each question transmitted
// once (evdns option attempts:1) with the Client's timeout, so the caller
// (internal/dnsclient) keeps the same server order, rounds, rotation and
// error choice on both backends. Two libevent 2.1 quirks are smoothed here:
// evdns turns a SERVFAIL reply into an immediate DNS_ERR_TIMEOUT ("treat as
// a timeout"), which a genuine timeout cannot be, since it only fires once
// the timeout has passed, so an early timeout is reported as ServerFailed;
// and evdns has no TCP, so a truncated answer comes back as Truncated for
// the caller to retry over TCP itself.
package evdns

import (
	"errors"
	"net/netip"
	"strconv"
)

// Kind is the type of a question.
type Kind uint8

// Question kinds.
const (
	A    Kind = iota + 1 // IPv4 addresses of a name
	AAAA                 // IPv6 addresses of a name
	PTR                  // names of an address (reverse lookup)
)

// Code is the outcome of a question: evdns's DNS_ERR_* values.
type Code int

// Outcomes, with libevent's DNS_ERR_* numbers.
const (
	OK           Code = 0  // an answer (possibly with no record: see Result)
	Format       Code = 1  // the server could not parse the question
	ServerFailed Code = 2  // SERVFAIL
	NotExist     Code = 3  // NXDOMAIN
	NotImpl      Code = 4  // NOTIMP
	Refused      Code = 5  // REFUSED
	Truncated    Code = 65 // the UDP answer was truncated (evdns has no TCP)
	Unknown      Code = 66 // an answer evdns could not use (malformed, wrong question)
	Timeout      Code = 67 // no answer before the timeout
	Shutdown     Code = 68 // the evdns_base was freed
	Cancel       Code = 69 // canceled
	NoData       Code = 70 // the name exists but has no record of the type
)

// String names the code as libevent does.
func (c Code) String() string {
	switch c {
	case OK:
		return "no error"
	case Format:
		return "misformatted query"
	case ServerFailed:
		return "server failed"
	case NotExist:
		return "name does not exist"
	case NotImpl:
		return "query not implemented"
	case Refused:
		return "refused"
	case Truncated:
		return "reply truncated or ill-formed"
	case Unknown:
		return "unknown"
	case Timeout:
		return "request timed out"
	case Shutdown:
		return "dns subsystem shut down"
	case Cancel:
		return "dns request canceled"
	case NoData:
		return "no records in the reply"
	}
	return "evdns error " + strconv.Itoa(int(c))
}

// Result is the outcome of a finished question: Code, and for OK the
// addresses (A, AAAA; at most 32, evdns's limit) or the name (PTR, without
// a trailing dot). OK with no address or name means no record of the type.
type Result struct {
	Code  Code
	Addrs []netip.Addr
	Name  string
}

// ErrUnsupported is returned by New for a loop that does not run on the
// libevent backend, and in binaries built without cgo.
var ErrUnsupported = errors.New("evdns: the loop's backend is not libevent")
