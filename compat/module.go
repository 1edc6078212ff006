// Package compat is ptsevent's drop-in compatibility layer, the seed's
// "monkey-patching": a wasi_snapshot_preview1 implementation whose
// descriptors live in the instance's ptsevent descriptor table and whose
// waits are suspensions on the instance's event loop. Unmodified wasip1
// programs (Go's runtime netpoller, wasi-libc's poll/accept/recv) become
// non-blocking coroutines: a blocking call parks the guest's task, and
// poll_oneoff suspends the instance until a subscription fires.
//
// It also provides the WasmEdge socket extension (sock_open, sock_bind,
// sock_connect, sock_listen, sock_getaddrinfo, ...) under
// wasi_snapshot_preview1, on the same host operations and capability
// checks as the ptsevent socket imports.
//
// Use it with
//
//	rt, err := host.NewRuntime(ctx, host.Config{WASI: compat.Module})
//
// or call Install once to make it the default of every runtime. README.md
// maps every function to the host operation behind it.
package compat

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/host"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// ModuleName is the import module the overlay implements.
const ModuleName = wasi_snapshot_preview1.ModuleName

// Install makes the overlay the WASI implementation of every runtime whose
// Config.WASI is nil.
func Install() { host.SetDefaultWASI(Module) }

// Module is the host.WASI of the overlay: it instantiates
// wasi_snapshot_preview1 in r.
func Module(ctx context.Context, r wazero.Runtime) (host.WASIModule, error) {
	w := &wasiModule{r: r, variants: map[variant]api.Module{}}
	if _, err := w.builder(0).Instantiate(ctx); err != nil {
		return nil, err
	}
	return w, nil
}

// wasiModule is the overlay in one wazero runtime: the module instantiated
// under ModuleName, and the anonymous variants built for guests that
// import an older signature of a name (see variant).
type wasiModule struct {
	r        wazero.Runtime
	mu       sync.Mutex
	variants map[variant]api.Module
}

// variant says which of the names whose signature differs between
// WasmEdge's socket API v1 and the standard (or WasmEdge v2) a guest
// imports with the v1 signature: one bit per entry of clashes.
type variant uint8

// A clash is a name with two signatures. WasmEdge (lib/host/wasi
// wasimodule.cpp) registers its v1 functions under these names and swaps in
// v2 when a guest's import does not match; the overlay does the same
// choice per guest, by parameter count, at link time.
type clash struct {
	name     string
	v1Params int
}

var clashes = []clash{
	{"sock_accept", 2},       // v1 (fd, *fd); WASI and v2 (fd, fdflags, *fd)
	{"sock_recv_from", 7},    // v1 has no port out-pointer; v2 has 8 params
	{"sock_getlocaladdr", 4}, // v1 (fd, addr, *addr_type, *port); v2 (fd, addr, *port)
	{"sock_getpeeraddr", 4},
}

// Link picks the module a guest links to: the one named ModuleName, unless
// the guest imports a clashing name with its v1 signature; then an
// anonymous variant with those names in v1 is made (once per runtime and
// combination) and the guest's wasi_snapshot_preview1 imports resolve to
// it.
func (w *wasiModule) Link(ctx context.Context, guest wazero.CompiledModule) (experimental.ImportResolver, error) {
	var v variant
	for _, f := range guest.ImportedFunctions() {
		mod, name, _ := f.Import()
		if mod != ModuleName {
			continue
		}
		for i, c := range clashes {
			if name == c.name && len(f.ParamTypes()) == c.v1Params {
				v |= 1 << i
			}
		}
	}
	if v == 0 {
		return nil, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	m, ok := w.variants[v]
	if !ok {
		compiled, err := w.builder(v).Compile(ctx)
		if err != nil {
			return nil, err
		}
		m, err = w.r.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName(""))
		if err != nil {
			return nil, fmt.Errorf("compat: instantiate %s variant: %w", ModuleName, err)
		}
		w.variants[v] = m
	}
	return func(name string) api.Module {
		if name == ModuleName {
			return m
		}
		return nil
	}, nil
}

// impl implements one function: p holds the parameters (and p[0] receives
// the errno).
type impl func(s *host.Sys, g mem, p []uint64) abi.Errno

// fn is one function of the module: its name, parameter names (a ":64"
// suffix marks an i64) and implementation.
type fn struct {
	name   string
	params []string
	impl   impl
}

// functions lists the overlay's functions: every descriptor function of
// WASI preview 1, the clocks, poll_oneoff, sched_yield, the sockets, and
// the WasmEdge extension, in variant v.
func functions(v variant) []fn {
	fs := []fn{
		{"clock_res_get", ps("id", "resolution"), clockResGet},
		{"clock_time_get", ps("id", "precision:64", "time"), clockTimeGet},
		{"fd_advise", ps("fd", "offset:64", "len:64", "advice"), fdAdvise},
		{"fd_allocate", ps("fd", "offset:64", "len:64"), fdAllocate},
		{"fd_close", ps("fd"), fdClose},
		{"fd_datasync", ps("fd"), fdDatasync},
		{"fd_fdstat_get", ps("fd", "result.stat"), fdFdstatGet},
		{"fd_fdstat_set_flags", ps("fd", "flags"), fdFdstatSetFlags},
		{"fd_fdstat_set_rights", ps("fd", "fs_rights_base:64", "fs_rights_inheriting:64"), fdFdstatSetRights},
		{"fd_filestat_get", ps("fd", "result.filestat"), fdFilestatGet},
		{"fd_filestat_set_size", ps("fd", "size:64"), fdFilestatSetSize},
		{"fd_filestat_set_times", ps("fd", "atim:64", "mtim:64", "fst_flags"), fdFilestatSetTimes},
		{"fd_pread", ps("fd", "iovs", "iovs_len", "offset:64", "result.nread"), fdPread},
		{"fd_prestat_get", ps("fd", "result.prestat"), fdPrestatGet},
		{"fd_prestat_dir_name", ps("fd", "path", "path_len"), fdPrestatDirName},
		{"fd_pwrite", ps("fd", "iovs", "iovs_len", "offset:64", "result.nwritten"), fdPwrite},
		{"fd_read", ps("fd", "iovs", "iovs_len", "result.nread"), fdRead},
		{"fd_readdir", ps("fd", "buf", "buf_len", "cookie:64", "result.bufused"), fdReaddir},
		{"fd_renumber", ps("fd", "to"), fdRenumber},
		{"fd_seek", ps("fd", "offset:64", "whence", "result.newoffset"), fdSeek},
		{"fd_sync", ps("fd"), fdSync},
		{"fd_tell", ps("fd", "result.offset"), fdTell},
		{"fd_write", ps("fd", "iovs", "iovs_len", "result.nwritten"), fdWrite},
		{"path_create_directory", ps("fd", "path", "path_len"), pathCreateDirectory},
		{"path_filestat_get", ps("fd", "flags", "path", "path_len", "result.filestat"), pathFilestatGet},
		{"path_filestat_set_times", ps("fd", "flags", "path", "path_len", "atim:64", "mtim:64", "fst_flags"), pathFilestatSetTimes},
		{"path_link", ps("old_fd", "old_flags", "old_path", "old_path_len", "new_fd", "new_path", "new_path_len"), pathLink},
		{"path_open", ps("fd", "dirflags", "path", "path_len", "oflags", "fs_rights_base:64", "fs_rights_inheriting:64", "fdflags", "result.opened_fd"), pathOpen},
		{"path_readlink", ps("fd", "path", "path_len", "buf", "buf_len", "result.bufused"), pathReadlink},
		{"path_remove_directory", ps("fd", "path", "path_len"), pathRemoveDirectory},
		{"path_rename", ps("fd", "old_path", "old_path_len", "new_fd", "new_path", "new_path_len"), pathRename},
		{"path_symlink", ps("old_path", "old_path_len", "fd", "new_path", "new_path_len"), pathSymlink},
		{"path_unlink_file", ps("fd", "path", "path_len"), pathUnlinkFile},
		{"poll_oneoff", ps("in", "out", "nsubscriptions", "result.nevents"), pollOneoff},
		{"sched_yield", nil, schedYield},
		{"sock_recv", ps("fd", "ri_data", "ri_data_len", "ri_flags", "result.ro_datalen", "result.ro_flags"), sockRecv},
		{"sock_send", ps("fd", "si_data", "si_data_len", "si_flags", "result.so_datalen"), sockSend},
		{"sock_shutdown", ps("fd", "how"), sockShutdown},

		// The WasmEdge socket extension.
		{"sock_open", ps("af", "socktype", "result.fd"), weSockOpen},
		{"sock_bind", ps("fd", "addr", "port"), weSockBind},
		{"sock_connect", ps("fd", "addr", "port"), weSockConnect},
		{"sock_listen", ps("fd", "backlog"), weSockListen},
		{"sock_send_to", ps("fd", "si_data", "si_data_len", "addr", "port", "si_flags", "result.so_datalen"), weSockSendTo},
		{"sock_getsockopt", ps("fd", "level", "name", "flag", "flag_size"), weSockGetopt},
		{"sock_setsockopt", ps("fd", "level", "name", "flag", "flag_size"), weSockSetopt},
		{"sock_getaddrinfo", ps("node", "node_len", "service", "service_len", "hints", "res", "max_res_len", "result.res_len"), weSockGetaddrinfo},
	}
	// The clashing names, in the variant's signature, and the v2 names
	// WasmEdge also exports.
	v2 := map[string]fn{
		"sock_accept":       {"sock_accept", ps("fd", "flags", "result.fd"), sockAccept},
		"sock_recv_from":    {"sock_recv_from", ps("fd", "ri_data", "ri_data_len", "addr", "ri_flags", "result.port", "result.ro_datalen", "result.ro_flags"), weSockRecvFromV2},
		"sock_getlocaladdr": {"sock_getlocaladdr", ps("fd", "addr", "result.port"), weSockLocalAddrV2},
		"sock_getpeeraddr":  {"sock_getpeeraddr", ps("fd", "addr", "result.port"), weSockPeerAddrV2},
	}
	v1 := map[string]fn{
		"sock_accept":       {"sock_accept", ps("fd", "result.fd"), weSockAcceptV1},
		"sock_recv_from":    {"sock_recv_from", ps("fd", "ri_data", "ri_data_len", "addr", "ri_flags", "result.ro_datalen", "result.ro_flags"), weSockRecvFromV1},
		"sock_getlocaladdr": {"sock_getlocaladdr", ps("fd", "addr", "result.addr_type", "result.port"), weSockLocalAddrV1},
		"sock_getpeeraddr":  {"sock_getpeeraddr", ps("fd", "addr", "result.addr_type", "result.port"), weSockPeerAddrV1},
	}
	for i, c := range clashes {
		f := v2[c.name]
		if v&(1<<i) != 0 {
			f = v1[c.name]
		}
		fs = append(fs, f)
		alias := v2[c.name]
		alias.name += "_v2"
		fs = append(fs, alias)
	}
	for _, name := range []string{"sock_open", "sock_bind", "sock_connect", "sock_listen", "sock_recv", "sock_send", "sock_send_to"} {
		for _, f := range fs {
			if f.name == name {
				f.name += "_v2"
				fs = append(fs, f)
				break
			}
		}
	}
	return fs
}

// ps lists parameter names.
func ps(names ...string) []string { return names }

// builder makes the module in variant v: wazero's wasi_snapshot_preview1
// functions (args_*, environ_*, random_get, proc_exit, proc_raise keep
// wazero's implementation), then the overlay's, which replace wazero's
// under the same names.
func (w *wasiModule) builder(v variant) wazero.HostModuleBuilder {
	b := w.r.NewHostModuleBuilder(ModuleName)
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(b)
	for _, f := range functions(v) {
		types := make([]api.ValueType, len(f.params))
		names := make([]string, len(f.params))
		for i, p := range f.params {
			names[i] = p
			types[i] = api.ValueTypeI32
			if n, ok := strings.CutSuffix(p, ":64"); ok {
				names[i] = n
				types[i] = api.ValueTypeI64
			}
		}
		b.NewFunctionBuilder().
			WithGoModuleFunction(wrap(f.impl), types, []api.ValueType{api.ValueTypeI32}).
			WithName(f.name).WithParameterNames(names...).WithResultNames("errno").
			Export(f.name)
	}
	return b
}

// wrap adapts an impl to wazero: the instance's call state, the guest's
// memory, the errno in the result. Outside an instance (a module an
// embedder instantiated directly) there is no descriptor table: ENOTCAPABLE.
func wrap(f impl) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		s := host.SysFor(ctx, mod)
		if s == nil {
			stack[0] = uint64(abi.ENOTCAPABLE)
			return
		}
		e := f(s, mem{mod.Memory()}, stack)
		s.Done()
		stack[0] = uint64(e)
	}
}

// Setup fills a new instance's descriptor table: standard input, output
// and error at 0-2, InstanceConfig.Listeners from 3 (non-blocking, as
// wasmtime preopens them, so a Go guest's accept loop does not stall the
// instance), then Capabilities.Dirs as preopened directories.
func (w *wasiModule) Setup(in *host.Instance) error {
	cfg := in.Config()
	fds := in.FDs()
	if err := setupStdio(in, cfg); err != nil {
		return err
	}
	for i, f := range cfg.Listeners {
		fd, e := in.AdoptFile(f, true)
		if e != 0 {
			return fmt.Errorf("compat: listener %d: %v", i, e)
		}
		if want := int32(3 + i); fd != want {
			return fmt.Errorf("compat: listener %d is descriptor %d, want %d", i, fd, want)
		}
	}
	for _, m := range cfg.Caps.Dirs {
		d, err := newPreopen(in.Loop(), m)
		if err != nil {
			return err
		}
		if _, e := fds.Insert(d); e != 0 {
			d.Stream.Close()
			d.PD.Close()
			return fmt.Errorf("compat: preopen %s: %v", m.Guest, e)
		}
	}
	return nil
}
