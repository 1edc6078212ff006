// Package dnsclient is ptsevent's DNS stub resolver. It runs inside evloop
// tasks and never blocks its loop: each query goes out on a non-blocking UDP
// socket registered with the loop, and the task parks in WaitFD until the
// answer arrives or the attempt's deadline passes, so every other task of
// the loop keeps running while a lookup is in flight.
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
// Why not libevent's evdns on the libevent backend: evdns delivers every
// result through a C callback run inside event_base_loop, but tasks must
// never be resumed from a C-to-Go callback (an iter.Pull coroutine must be
// resumed with the thread-lock state it was created with), so results would
// have to be queued on the C side and drained by the backend after each
// Wait, which means a new Backend hook, linking libevent_extra as well as
// libevent_core, and an evdns_base owned by the event_base that
// evloop/libevent_cgo.go keeps private. evdns would also read resolv.conf
// and the hosts file its own way and report errors in its own terms, so the
// epoll backend (which still needs this resolver) and the libevent backend
// would resolve differently and need two test matrices. The work it would
// save is small: a stub resolver is a few sockets and timers, which the
// loop already provides on both backends. So this pure-Go resolver serves
// both backends; its sockets and deadlines go through the loop's Backend
// like any other descriptor, and libevent does the waiting underneath when
// it is the backend.
package dnsclient
