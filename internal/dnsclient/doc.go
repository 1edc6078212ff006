// Package dnsclient is ptsevent's DNS stub resolver. It runs inside evloop
// tasks and never blocks its loop: each query goes out on a non-blocking UDP
// socket registered with the loop (or through libevent's evdns on the
// libevent backend, see below), and the task parks until the answer arrives
// or the attempt's deadline passes, so every other task of the loop keeps
// running while a lookup is in flight.
//
// What it does, in the order of a lookup: numeric addresses are returned as
// they are; the hosts file (/etc/hosts or Config.HostsFile) is consulted
// first; "localhost" and names under ".localhost" resolve to the loopback
// addresses without a query (RFC 6761); otherwise the name is expanded with
// resolv.conf's search list and ndots rule and queried. A and AAAA are sent
// together on one socket for AnyFamily and both answers are awaited. Each
// reply must match its query's ID and question, so stray and spoofed
// datagrams are ignored; a truncated UDP answer is retried over TCP; each
// nameserver is tried in turn (optionally rotated) for Attempts rounds, each
// attempt bounded by Timeout. CNAME chains in the answer section are
// followed. Messages are built and parsed with github.com/miekg/dns.
//
// Failures are reported as errors that wrap ErrNotFound (NXDOMAIN, or not in
// the hosts file), ErrNoData (the name exists but has no record of the type),
// ErrTimeout (every server timed out or was unreachable) or ErrServerFailure
// (SERVFAIL, REFUSED or a malformed answer); errors.Is tells them apart. A
// wait cut short by the loop (evloop.ErrCanceled, evloop.ErrLoopClosed) is
// returned unwrapped so the caller can unwind its task.
//
// Two engines carry the queries. On a loop whose backend is epoll (and in
// builds without cgo) it is this package's own exchange, above. On a loop
// whose backend is libevent it is libevent's evdns (evloop/evdns), running
// on the backend's own event_base: evdns sends the datagrams, matches the
// replies and runs the retransmission timers inside the backend's Wait,
// and its C callbacks only fill a completion queue and write an eventfd
// that a task of the loop drains in Go, so no task is ever resumed from a
// C-to-Go callback. Config.PureGo keeps the Go exchange on libevent loops.
//
// Everything a guest can observe is decided here, above the engines, so the
// two backends answer alike: the hosts file, numeric names, localhost, the
// search list and ndots, the server order, rounds and rotation (evdns is
// given one nameserver per evdns_base and one transmission per question,
// and this package walks the servers), and the choice among errors. evdns
// outcomes are recorded as the replies exchangeUDP would have recorded.
// Where libevent 2.1's evdns falls short, the question goes to the Go
// exchange for the same server: a truncated answer (evdns has no TCP) and a
// reply evdns could not use (malformed, or the right ID with the wrong
// question, which evdns takes as a failure where this package ignores it).
// evdns turns SERVFAIL into an immediate timeout; evloop/evdns reports an
// early timeout as the server failure it was. The one difference left is
// the canonical name LookupIP returns: evdns does not report CNAME chains,
// so it is the name asked (the host's imports do not expose it).
package dnsclient
