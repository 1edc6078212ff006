// Package cbench is the plain-C baseline for evloop's ping-pong benchmark:
// the same exchange written directly against libevent, run inside one cgo
// call, so the loop's overhead can be compared with libevent's own. It is
// empty without cgo.
package cbench
