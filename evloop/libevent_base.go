package evloop

import "unsafe"

// LibeventBase returns the struct event_base* under l when l runs on the
// libevent backend, and nil on any other backend (or once the backend is
// closed). It lets cgo packages under evloop (evloop/evdns) add their own
// events to the loop's base. Use the base only on l's goroutine: it is
// created without locks.
func LibeventBase(l *Loop) unsafe.Pointer {
	b, ok := l.backend.(interface{ eventBase() unsafe.Pointer })
	if !ok {
		return nil
	}
	return b.eventBase()
}
