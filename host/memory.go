package host

import (
	"encoding/binary"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/tetratelabs/wazero/api"
)

// guestMem wraps a guest's linear memory with bounds-checked accessors:
// every guest pointer and length goes through them, so a bad pointer
// becomes EFAULT, never a host panic. Offsets are uint32 and the checks are
// done in 64 bits, so pointer+length wrapping past 2^32 is caught too.
type guestMem struct{ m api.Memory }

// bytes returns a view of [ptr, ptr+n) or EFAULT.
func (g guestMem) bytes(ptr, n uint32) ([]byte, abi.Errno) {
	if g.m == nil {
		return nil, abi.EFAULT
	}
	b, ok := g.m.Read(ptr, n)
	if !ok {
		return nil, abi.EFAULT
	}
	return b, abi.ESUCCESS
}

// check reports EFAULT unless [ptr, ptr+n) lies inside memory.
func (g guestMem) check(ptr, n uint32) abi.Errno {
	_, e := g.bytes(ptr, n)
	return e
}

func (g guestMem) putU32(ptr, v uint32) abi.Errno {
	b, e := g.bytes(ptr, 4)
	if e != 0 {
		return e
	}
	binary.LittleEndian.PutUint32(b, v)
	return 0
}

func (g guestMem) string(ptr, n uint32) (string, abi.Errno) {
	b, e := g.bytes(ptr, n)
	if e != 0 {
		return "", e
	}
	return string(b), 0
}

// iovecs reads an array of pts_iovec and returns the views of the buffers
// they name, appended to dst. Every entry is checked before any I/O happens,
// so a bad entry fails the whole call with no partial I/O.
func (g guestMem) iovecs(dst [][]byte, iovs, n uint32) ([][]byte, abi.Errno) {
	if n > abi.MaxIovecs {
		return dst, abi.EINVAL
	}
	arr, e := g.bytes(iovs, n*abi.IovecSize)
	if e != 0 {
		return dst, e
	}
	for i := uint32(0); i < n; i++ {
		ptr := binary.LittleEndian.Uint32(arr[i*8:])
		l := binary.LittleEndian.Uint32(arr[i*8+4:])
		b, e := g.bytes(ptr, l)
		if e != 0 {
			return dst, e
		}
		dst = append(dst, b)
	}
	return dst, 0
}
