package compat

import (
	"encoding/binary"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/tetratelabs/wazero/api"
)

var le = binary.LittleEndian

// mem is a guest's linear memory with bounds-checked accessors: every
// pointer and length a guest passes goes through them, so a bad one is
// EFAULT and never a host panic. Functions check every pointer they will
// use before doing anything, so an EFAULT has no side effect.
type mem struct{ m api.Memory }

func (g mem) bytes(ptr, n uint32) ([]byte, abi.Errno) {
	if g.m == nil {
		return nil, abi.EFAULT
	}
	b, ok := g.m.Read(ptr, n)
	if !ok {
		return nil, abi.EFAULT
	}
	return b, 0
}

func (g mem) check(ptr, n uint32) abi.Errno {
	_, e := g.bytes(ptr, n)
	return e
}

// array checks an array of n elements of size bytes at ptr (the product is
// computed in 64 bits, so it cannot wrap).
func (g mem) array(ptr, n, size uint32) ([]byte, abi.Errno) {
	total := uint64(n) * uint64(size)
	if total > uint64(^uint32(0)) {
		return nil, abi.EFAULT
	}
	return g.bytes(ptr, uint32(total))
}

func (g mem) u32(ptr uint32) (uint32, abi.Errno) {
	b, e := g.bytes(ptr, 4)
	if e != 0 {
		return 0, e
	}
	return binary.LittleEndian.Uint32(b), 0
}

func (g mem) putU16(ptr uint32, v uint16) abi.Errno {
	b, e := g.bytes(ptr, 2)
	if e != 0 {
		return e
	}
	binary.LittleEndian.PutUint16(b, v)
	return 0
}

func (g mem) putU32(ptr, v uint32) abi.Errno {
	b, e := g.bytes(ptr, 4)
	if e != 0 {
		return e
	}
	binary.LittleEndian.PutUint32(b, v)
	return 0
}

func (g mem) putU64(ptr uint32, v uint64) abi.Errno {
	b, e := g.bytes(ptr, 8)
	if e != 0 {
		return e
	}
	binary.LittleEndian.PutUint64(b, v)
	return 0
}

// maxIovecs bounds iovec arrays (IOV_MAX, as wasi-libc and the ptsevent
// readv/writev have it).
const maxIovecs = abi.MaxIovecs

// iovecs reads an array of n WASI iovecs (u32 buf, u32 len) and returns
// views of the buffers they name. Every entry is checked before any I/O,
// so a bad one fails the call with no partial I/O.
func (g mem) iovecs(ptr, n uint32) ([][]byte, abi.Errno) {
	if n > maxIovecs {
		return nil, abi.EINVAL
	}
	arr, e := g.array(ptr, n, 8)
	if e != 0 {
		return nil, e
	}
	out := make([][]byte, n)
	for i := range out {
		b, e := g.bytes(binary.LittleEndian.Uint32(arr[i*8:]), binary.LittleEndian.Uint32(arr[i*8+4:]))
		if e != 0 {
			return nil, e
		}
		out[i] = b
	}
	return out, 0
}

// string reads a guest string (no NUL terminator) of n bytes.
func (g mem) string(ptr, n uint32) (string, abi.Errno) {
	b, e := g.bytes(ptr, n)
	if e != 0 {
		return "", e
	}
	return string(b), 0
}

// total is the summed length of bufs.
func total(bufs [][]byte) int {
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	return n
}

// gather copies bufs into one buffer.
func gather(bufs [][]byte) []byte {
	if len(bufs) == 1 {
		return bufs[0]
	}
	out := make([]byte, 0, total(bufs))
	for _, b := range bufs {
		out = append(out, b...)
	}
	return out
}

// scatter copies p into bufs in order and returns how many bytes it copied.
func scatter(bufs [][]byte, p []byte) int {
	n := 0
	for _, b := range bufs {
		if len(p) == 0 {
			break
		}
		c := copy(b, p)
		p = p[c:]
		n += c
	}
	return n
}
