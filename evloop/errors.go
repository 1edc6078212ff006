package evloop

import "errors"

var (
	// ErrClosed is returned to waiters of a PollDesc that was closed while
	// they waited: the descriptor number is gone (EBADF).
	ErrClosed = errors.New("evloop: descriptor closed")
	// ErrTimeout is returned by a wait whose deadline passed (ETIMEDOUT).
	ErrTimeout = errors.New("evloop: wait timed out")
	// ErrLoopClosed is returned by waits on a loop that is shutting down.
	ErrLoopClosed = errors.New("evloop: loop closed")
	// ErrNotPollable is returned by Backend.Add for descriptors the kernel
	// cannot poll, such as regular files; the loop treats them as always
	// ready.
	ErrNotPollable = errors.New("evloop: descriptor is not pollable")
	// ErrCanceled is returned by a wait that Task.Interrupt cut short.
	ErrCanceled = errors.New("evloop: wait canceled")
)
