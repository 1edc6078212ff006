package host

// The exported syscall layer: what an import module living outside this
// package (compat's wasi_snapshot_preview1 overlay) needs to serve guests on
// the same descriptor table, loop and capability checks as the ptsevent
// imports, without a second copy of their logic:
//
//   - WASI and WASIModule: the hook that replaces wazero's
//     wasi_snapshot_preview1 (Config.WASI, SetDefaultWASI), links each
//     compiled guest (Runtime.Compile) and fills each new instance's
//     descriptor table (stdio, preopened listeners and directories);
//   - FDTable.Insert, InsertAt and Renumber, the descriptor kinds KindStdio
//     and KindDir, Instance.AdoptFile;
//   - Sys, one host-function call in progress: Import runs a ptsevent
//     import itself (pointer arguments in guest memory), ImportScratch runs
//     it with its pointer arguments in a host buffer (so an overlay with its
//     own struct layouts reuses the import, try/park/retry and grant checks
//     included), and the typed socket wrappers below are built on it; Poll,
//     Sleep and Yield wait the way the ptsevent poll and sleep do.

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"sync/atomic"
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"golang.org/x/sys/unix"
)

// Descriptor kinds of the WASI overlay. They are numbered apart from
// fdtable.go's list so that both can grow.
const (
	// KindStdio is standard input, output or error (0-2): a Stream over
	// InstanceConfig.Stdin, Stdout or Stderr.
	KindStdio DescKind = 32 + iota
	// KindDir is a directory opened for path lookups (a preopened
	// directory or one opened under it); its Stream is the overlay's
	// handle, which confines lookups to the directory (os.Root).
	KindDir
)

// WASI provides a Runtime's wasi_snapshot_preview1 in place of wazero's. It
// is called once per Runtime, from NewRuntime, and instantiates its host
// module (or modules) in r. compat.Module is the implementation ptsevent
// ships.
type WASI func(ctx context.Context, r wazero.Runtime) (WASIModule, error)

// WASIModule is a WASI implementation instantiated in one Runtime.
type WASIModule interface {
	// Link is called once per compiled guest (Runtime.Compile). It may
	// return an import resolver with which the guest is instantiated, to
	// link it to a variant of the module (for functions whose signature
	// differs between the ABIs guests were built for); nil links it to the
	// module instantiated under its own name.
	Link(ctx context.Context, guest wazero.CompiledModule) (experimental.ImportResolver, error)
	// Setup is called for each new instance, on its loop, before its
	// guest is instantiated: it fills the descriptor table (standard
	// I/O, InstanceConfig.Listeners, Capabilities.Dirs).
	Setup(in *Instance) error
}

var defaultWASI atomic.Pointer[WASI]

// SetDefaultWASI sets the WASI implementation of runtimes whose
// Config.WASI is nil (compat.Install calls it); nil restores wazero's.
func SetDefaultWASI(w WASI) {
	if w == nil {
		defaultWASI.Store(nil)
		return
	}
	defaultWASI.Store(&w)
}

// wasiFor returns the WASI implementation a runtime with cfg uses, or nil
// for wazero's.
func wasiFor(cfg Config) WASI {
	if cfg.WASI != nil {
		return cfg.WASI
	}
	if p := defaultWASI.Load(); p != nil {
		return *p
	}
	return nil
}

// link asks the runtime's WASI module for the compiled guest's import
// resolver.
func (r *Runtime) link(ctx context.Context, c wazero.CompiledModule) (experimental.ImportResolver, error) {
	if r.wasi == nil {
		return nil, nil
	}
	return r.wasi.Link(ctx, c)
}

// importContext returns ctx carrying the module's import resolver, if it
// has one: the context its guest is instantiated with.
func (m *Module) importContext(ctx context.Context) context.Context {
	if m.resolver == nil {
		return ctx
	}
	return experimental.WithImportResolver(ctx, m.resolver)
}

// setupWASI lets the WASI module fill the new instance's table.
func (in *Instance) setupWASI() error {
	if in.rt.wasi == nil {
		if len(in.cfg.Listeners) > 0 {
			return errors.New("host: InstanceConfig.Listeners needs a WASI overlay (Config.WASI or compat.Install)")
		}
		return nil
	}
	return in.rt.wasi.Setup(in)
}

// Config returns the instance's configuration.
func (in *Instance) Config() InstanceConfig { return in.cfg }

// Task returns the task running the instance's current call (nil between
// calls).
func (in *Instance) Task() *evloop.Task { return in.task }

// AdoptFile adds a duplicate of f's descriptor to the table, classified by
// fstat as fromfd does (a socket, a FIFO or character device, a file or a
// directory), blocking for the guest unless nonBlock. The OS descriptor is
// made non-blocking, which f shares (one open file description); f stays
// the caller's.
func (in *Instance) AdoptFile(f *os.File, nonBlock bool) (int32, abi.Errno) {
	nfd, err := dupFile(f)
	if err != nil {
		return -1, ToErrno(err)
	}
	c := call{in: in}
	return c.adoptFd(nfd, nonBlock, true)
}

// Max returns the most descriptors the table holds
// (InstanceConfig.MaxDescriptors).
func (t *FDTable) Max() int { return t.max }

// Insert adds d at the lowest free number from 3 (EMFILE when the table is
// full). The table owns d from then on: closing the number closes d's
// PollDesc, Stream and OS descriptor.
func (t *FDTable) Insert(d *Desc) (int32, abi.Errno) { return t.insert(d) }

// InsertAt adds d at number fd, which must be free (EBADF otherwise), for
// descriptors with fixed numbers such as standard I/O.
func (t *FDTable) InsertAt(fd int32, d *Desc) abi.Errno {
	if fd < 0 || int(fd) >= t.max+3 {
		return abi.EBADF
	}
	if t.count >= t.max {
		return abi.EMFILE
	}
	for int(fd) >= len(t.entries) {
		t.entries = append(t.entries, nil)
	}
	if t.entries[fd] != nil {
		return abi.EBADF
	}
	t.entries[fd] = d
	t.count++
	return 0
}

// Renumber moves descriptor from to number to, closing what to held (its
// waiters wake with EBADF), as WASI's fd_renumber and dup2-then-close do.
// Waiters on from keep waiting: the descriptor is the same. to must be
// below the table's limit plus 3 (EBADF otherwise).
func (t *FDTable) Renumber(from, to int32) abi.Errno {
	d, e := t.Get(from)
	if e != 0 {
		return e
	}
	if from == to {
		return 0
	}
	if to < 0 || int(to) >= t.max+3 {
		return abi.EBADF
	}
	for int(to) >= len(t.entries) {
		t.entries = append(t.entries, nil)
	}
	if old := t.entries[to]; old != nil {
		t.entries[to] = nil
		t.count--
		old.close()
	}
	t.entries[from] = nil
	t.entries[to] = d
	return 0
}

// Buffered returns how many bytes readline took in from the descriptor
// that no read has returned yet: a reader polling the descriptor must see
// it readable while there are any.
func (d *Desc) Buffered() int { return len(d.line) - d.lineOff }

// FSErrno maps an error of os.Root to an errno: a path or symlink that
// leaves the root is ENOTCAPABLE, as for the open import.
func FSErrno(err error) abi.Errno {
	var le *os.LinkError
	if errors.As(err, &le) && le.Err != nil && le.Err.Error() == errPathEscapesText {
		return abi.ENOTCAPABLE
	}
	return openErrno(err)
}

// Sys is one host-function call in progress, made by a guest instance: the
// exported face of the state every ptsevent import runs with. Get it with
// SysFor at the start of a host function; use it only during that call.
type Sys struct{ c call }

// SysFor returns the call state of a host function called with ctx by
// module mod, or nil when the module does not belong to an Instance (an
// embedder instantiated it directly on the wazero runtime). The state lives
// in the instance, which runs one host function at a time, so getting it
// allocates nothing; it is valid until the host function returns.
func SysFor(ctx context.Context, mod api.Module) *Sys {
	in := instanceFrom(ctx)
	if in == nil {
		return nil
	}
	s := &in.curSys
	s.c = call{ctx: ctx, in: in, mod: mod, mem: guestMem{mod.Memory()}}
	return s
}

// Done drops the references the call state holds once the host function
// returns.
func (s *Sys) Done() { s.c = call{} }

// Instance returns the calling instance.
func (s *Sys) Instance() *Instance { return s.c.in }

// FDs returns the calling instance's descriptor table.
func (s *Sys) FDs() *FDTable { return s.c.in.fds }

// Caps returns the calling instance's capabilities.
func (s *Sys) Caps() Capabilities { return s.c.in.caps }

// Import runs the ptsevent import name (abi.Functions) for the calling
// guest, with args in the table's parameter order; pointer arguments refer
// to guest memory. It is the same code the guest reaches through the
// ptsevent module: checks, grants, try, park and retry. A name this host
// does not implement is ENOSYS.
func (s *Sys) Import(name string, args ...uint64) abi.Errno {
	return s.runImport(s.c.mem, name, args)
}

// ImportScratch is Import with the pointer arguments referring to mem, a
// host buffer, instead of guest memory: the caller places the structs the
// import reads (a pts_sockaddr, say) in mem and reads its results back
// from there. Offset 0 means "no pointer" to several imports, so use
// offsets from 8 on.
func (s *Sys) ImportScratch(mem []byte, name string, args ...uint64) abi.Errno {
	return s.runImport(guestMem{scratchMemory{buf: mem}}, name, args)
}

func (s *Sys) runImport(m guestMem, name string, args []uint64) abi.Errno {
	impl, ok := hostFuncs[name]
	if !ok {
		return abi.ENOSYS
	}
	c := s.c
	c.mem = m
	c.args = args
	return impl(&c)
}

// scratchMemory is a host buffer seen through api.Memory, for
// ImportScratch. guestMem only calls Read.
type scratchMemory struct {
	api.Memory // nil: only Read is implemented
	buf        []byte
}

func (m scratchMemory) Read(off, n uint32) ([]byte, bool) {
	end := uint64(off) + uint64(n)
	if end > uint64(len(m.buf)) {
		return nil, false
	}
	return m.buf[off:end:end], true
}

// Poll waits, as the ptsevent poll import does, until one of items is
// ready for what it wants, hung up or closed, or timeout passes (< 0: no
// limit; 0: only check). A deadline or loop shutdown does not return: the
// instance is closed and the call unwinds.
func (s *Sys) Poll(items []evloop.PollItem, timeout time.Duration) (int, abi.Errno) {
	n, err := s.c.in.task.Poll(items, timeout)
	if err != nil {
		return n, s.c.waitErr(err)
	}
	return n, 0
}

// Sleep parks the calling guest for d, as the sleep import does.
func (s *Sys) Sleep(d time.Duration) abi.Errno {
	return s.c.waitErr(s.c.in.task.Sleep(d))
}

// Yield lets the loop's other tasks and its I/O run, then resumes.
func (s *Sys) Yield() abi.Errno { return s.c.waitErr(s.c.in.task.Yield()) }

// Recv receives into p from a socket or stream with ABI recv flags
// (abi.MSG_PEEK, abi.MSG_DONTWAIT), as recv and recvfrom do; from is the
// sender's address when wantFrom and the socket reports one.
func (s *Sys) Recv(d *Desc, p []byte, flags uint32, wantFrom bool) (int, unix.Sockaddr, abi.Errno) {
	if d.Kind != KindSocket && d.Kind != KindVirtual {
		return 0, nil, abi.ENOTSOCK
	}
	return s.c.recvMsg(d, p, flags, wantFrom)
}

// Send sends p on a socket or stream with ABI send flags, to address to
// when it is not nil (datagram sockets), which needs a connect grant
// (EACCES), as send and sendto do.
func (s *Sys) Send(d *Desc, p []byte, flags uint32, to unix.Sockaddr) (int, abi.Errno) {
	if d.Kind != KindSocket && d.Kind != KindVirtual {
		return 0, abi.ENOTSOCK
	}
	if to != nil && !sockaddrGranted(s.c.in.caps.Connect, to) {
		return 0, abi.EACCES
	}
	return s.c.sendMsg(d, p, flags, to)
}

// Scratch offsets of the typed socket wrappers.
const (
	scrOut  = 8  // a u32 result
	scrOut2 = 12 // a second u32 result
	scrAddr = 16 // a pts_sockaddr
	scrVal  = scrAddr + abi.SockaddrSize
)

// Socket creates a socket (socket import): ABI family (abi.AF_*) and type
// (abi.SOCK_* with SOCK_NONBLOCK).
func (s *Sys) Socket(family, typ uint32) (int32, abi.Errno) {
	var mem [scrAddr]byte
	if e := s.ImportScratch(mem[:], "socket", uint64(family), uint64(typ), 0, scrOut); e != 0 {
		return -1, e
	}
	return int32(binary.LittleEndian.Uint32(mem[scrOut:])), 0
}

// Bind binds fd to sa (bind import: needs a bind grant).
func (s *Sys) Bind(fd int32, sa unix.Sockaddr) abi.Errno {
	var mem [scrVal]byte
	putSockaddr(mem[scrAddr:], sa)
	return s.ImportScratch(mem[:], "bind", uint64(uint32(fd)), scrAddr)
}

// Connect connects fd to sa (connect import: needs a connect grant; a
// blocking descriptor parks until the connection is made).
func (s *Sys) Connect(fd int32, sa unix.Sockaddr) abi.Errno {
	var mem [scrVal]byte
	putSockaddr(mem[scrAddr:], sa)
	return s.ImportScratch(mem[:], "connect", uint64(uint32(fd)), scrAddr)
}

// Listen marks fd as listening (listen import).
func (s *Sys) Listen(fd, backlog int32) abi.Errno {
	return s.ImportScratch(nil, "listen", uint64(uint32(fd)), uint64(uint32(backlog)))
}

// Accept accepts a connection on listener fd (accept import: a blocking
// listener parks until one arrives); flags may hold abi.SOCK_NONBLOCK.
func (s *Sys) Accept(fd int32, flags uint32) (int32, unix.Sockaddr, abi.Errno) {
	var mem [scrVal]byte
	if e := s.ImportScratch(mem[:], "accept", uint64(uint32(fd)), uint64(flags), scrOut, scrAddr); e != 0 {
		return -1, nil, e
	}
	sa, _ := decodeSockaddr(mem[scrAddr:])
	return int32(binary.LittleEndian.Uint32(mem[scrOut:])), sa, 0
}

// Shutdown shuts down part of a connection (shutdown import; how is
// abi.SHUT_*).
func (s *Sys) Shutdown(fd int32, how uint32) abi.Errno {
	return s.ImportScratch(nil, "shutdown", uint64(uint32(fd)), uint64(how))
}

// SockName returns fd's local address (getsockname), or its peer's
// (getpeername) when peer. An unnamed socket's address is nil.
func (s *Sys) SockName(fd int32, peer bool) (unix.Sockaddr, abi.Errno) {
	name := "getsockname"
	if peer {
		name = "getpeername"
	}
	var mem [scrVal]byte
	if e := s.ImportScratch(mem[:], name, uint64(uint32(fd)), scrAddr); e != 0 {
		return nil, e
	}
	sa, e := decodeSockaddr(mem[scrAddr:])
	if e != 0 {
		return nil, 0
	}
	return sa, 0
}

// SetSockopt sets a socket option (setsockopt import: ABI level and name,
// value in the ABI's layout).
func (s *Sys) SetSockopt(fd int32, level, name uint32, val []byte) abi.Errno {
	mem := make([]byte, scrVal+len(val))
	copy(mem[scrVal:], val)
	return s.ImportScratch(mem, "setsockopt", uint64(uint32(fd)), uint64(level), uint64(name), scrVal, uint64(len(val)))
}

// GetSockopt reads a socket option into val (getsockopt import) and
// returns the value's size.
func (s *Sys) GetSockopt(fd int32, level, name uint32, val []byte) (int, abi.Errno) {
	mem := make([]byte, scrVal+len(val))
	if e := s.ImportScratch(mem, "getsockopt", uint64(uint32(fd)), uint64(level), uint64(name), scrVal, uint64(len(val)), scrOut); e != 0 {
		return 0, e
	}
	n := int(binary.LittleEndian.Uint32(mem[scrOut:]))
	copy(val, mem[scrVal:scrVal+n])
	return n, 0
}

// AddrInfo is one answer of Getaddrinfo: ABI socket type and protocol, and
// the address.
type AddrInfo struct {
	SockType, Protocol int32
	Addr               unix.Sockaddr
}

// Getaddrinfo resolves node and service (getaddrinfo import: needs the DNS
// grant; the calling guest is parked while a query is in flight) with ABI
// hints (abi.AI_* flags, abi.AF_* family, abi.SOCK_* type, IPPROTO_*
// protocol), returning at most max answers.
func (s *Sys) Getaddrinfo(node, service string, flags, family, socktype, protocol int32, max int) ([]AddrInfo, abi.Errno) {
	nodeOff := uint32(scrVal)
	svcOff := nodeOff + uint32(len(node))
	hintsOff := (svcOff + uint32(len(service)) + 7) &^ 7
	resOff := hintsOff + abi.AddrinfoHintsSize
	mem := make([]byte, int(resOff)+max*abi.AddrinfoSize)
	copy(mem[nodeOff:], node)
	copy(mem[svcOff:], service)
	h := mem[hintsOff:]
	binary.LittleEndian.PutUint32(h[abi.AddrinfoHintsOffFlags:], uint32(flags))
	binary.LittleEndian.PutUint32(h[abi.AddrinfoHintsOffFam:], uint32(family))
	binary.LittleEndian.PutUint32(h[abi.AddrinfoHintsOffType:], uint32(socktype))
	binary.LittleEndian.PutUint32(h[abi.AddrinfoHintsOffProto:], uint32(protocol))
	e := s.ImportScratch(mem, "getaddrinfo",
		uint64(nodeOff), uint64(len(node)), uint64(svcOff), uint64(len(service)),
		uint64(hintsOff), uint64(resOff), uint64(max), scrOut)
	if e != 0 {
		return nil, e
	}
	n := int(binary.LittleEndian.Uint32(mem[scrOut:]))
	out := make([]AddrInfo, 0, n)
	for i := range n {
		b := mem[int(resOff)+i*abi.AddrinfoSize:]
		sa, _ := decodeSockaddr(b[abi.AddrinfoOffSockaddr:])
		out = append(out, AddrInfo{
			SockType: int32(binary.LittleEndian.Uint32(b[abi.AddrinfoOffSocktype:])),
			Protocol: int32(binary.LittleEndian.Uint32(b[abi.AddrinfoOffProtocol:])),
			Addr:     sa,
		})
	}
	return out, 0
}
