package host

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// call is the state of one import call: the instance, the calling module
// and its memory.
type call struct {
	ctx  context.Context
	in   *Instance
	mod  api.Module
	mem  guestMem
	args []uint64
}

// hostFunc implements one ABI function. It reads its parameters from
// c.args (in abi.Functions order) and returns the errno.
type hostFunc func(c *call) abi.Errno

// hostFuncs holds the implementation of every ABI function, by name: host
// functions as data, each file of imports_*.go registering its group.
var hostFuncs = map[string]hostFunc{}

func register(name string, f hostFunc) {
	if _, ok := abi.Lookup(name); !ok {
		panic("host: register of " + name + ", which is not in the ABI table")
	}
	if _, dup := hostFuncs[name]; dup {
		panic("host: " + name + " registered twice")
	}
	hostFuncs[name] = f
}

// Implemented lists the ABI functions this host implements.
func Implemented() []string {
	out := make([]string, 0, len(hostFuncs)+1)
	for n := range hostFuncs {
		out = append(out, n)
	}
	out = append(out, "abi_version")
	sort.Strings(out)
	return out
}

func valueTypes(ps []abi.Param) []api.ValueType {
	out := make([]api.ValueType, len(ps))
	for i, p := range ps {
		if p.Type == abi.I64 {
			out[i] = api.ValueTypeI64
		} else {
			out[i] = api.ValueTypeI32
		}
	}
	return out
}

// instantiateImports builds the ptsevent module from the ABI table.
func instantiateImports(ctx context.Context, wr wazero.Runtime) error {
	b := wr.NewHostModuleBuilder(abi.ModuleName)
	for _, f := range abi.Functions {
		if f.Name == "abi_version" {
			b.NewFunctionBuilder().WithGoFunction(api.GoFunc(func(_ context.Context, stack []uint64) {
				stack[0] = uint64(abi.Version<<16 | abi.VersionMinor)
			}), nil, []api.ValueType{api.ValueTypeI32}).
				WithName(f.Name).Export(f.Name)
			continue
		}
		impl, ok := hostFuncs[f.Name]
		if !ok {
			// Not implemented in this build: the function is not exported,
			// so a guest importing it fails to instantiate with a link
			// error naming it, rather than getting a stub.
			continue
		}
		paramNames := make([]string, len(f.Params))
		for i, p := range f.Params {
			paramNames[i] = p.Name
		}
		b.NewFunctionBuilder().
			WithGoModuleFunction(wrap(impl), valueTypes(f.Params), []api.ValueType{api.ValueTypeI32}).
			WithName(f.Name).WithParameterNames(paramNames...).WithResultNames("errno").
			Export(f.Name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("host: instantiate %s imports: %w", abi.ModuleName, err)
	}
	return nil
}

func wrap(impl hostFunc) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		in := instanceFrom(ctx)
		if in == nil {
			// Instantiated by an embedder outside Run/Instantiate: there is
			// no descriptor table and no loop to suspend on.
			stack[0] = uint64(abi.ENOTCAPABLE)
			return
		}
		// An instance runs one import at a time (wasm is single-threaded
		// and imports do not call back into the guest), so the call's
		// state lives in the instance rather than on the heap per call.
		c := &in.curCall
		*c = call{ctx: ctx, in: in, mod: mod, mem: guestMem{mod.Memory()}, args: stack}
		stack[0] = uint64(impl(c))
		*c = call{}
	}
}

func (c *call) i32(i int) int32    { return int32(uint32(c.args[i])) }
func (c *call) u32(i int) uint32   { return uint32(c.args[i]) }
func (c *call) i64(i int) int64    { return int64(c.args[i]) }
func (c *call) task() *evloop.Task { return c.in.task }

// desc returns the descriptor in parameter i.
func (c *call) desc(i int) (*Desc, abi.Errno) { return c.in.fds.Get(c.i32(i)) }

// deadline turns a per-descriptor timeout into a wait deadline, computed
// once per call so retries do not extend it.
func deadline(timeout time.Duration) time.Time {
	if timeout <= 0 {
		return time.Time{}
	}
	return time.Now().Add(timeout)
}

// waitErr maps a wait's error to an errno. A wait cut short by the call's
// deadline or by the loop closing does not return to the guest: the
// instance is closed and the call unwinds with the exit code for a
// deadline, failing only this guest.
func (c *call) waitErr(err error) abi.Errno {
	switch err {
	case nil:
		return 0
	case evloop.ErrTimeout:
		return abi.ETIMEDOUT
	case evloop.ErrClosed:
		return abi.EBADF
	case evloop.ErrCanceled, evloop.ErrLoopClosed, errCallCanceled:
		code := uint32(sys.ExitCodeDeadlineExceeded)
		if err != evloop.ErrCanceled || c.ctx.Err() == context.Canceled {
			code = sys.ExitCodeContextCanceled
		}
		_ = c.mod.CloseWithExitCode(context.Background(), code)
		panic(sys.NewExitError(code))
	}
	return ToErrno(err)
}

// wait parks the call until d is ready for mode or dl passes.
func (c *call) wait(d *Desc, mode evloop.Readiness, dl time.Time) abi.Errno {
	return c.waitErr(c.in.task.WaitFD(d.PD, mode, dl))
}
