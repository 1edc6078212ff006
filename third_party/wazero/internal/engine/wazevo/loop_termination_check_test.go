package wazevo

// PATCHED (ptsevent, see third_party/wazero/PATCHES.md): this file is not
// upstream. It compiles loops with ensureTermination on through the shared
// frontend and BOTH backends (amd64 and arm64), whatever the host, so that the
// counter-based loop termination check is lowered by both machines even when
// only one of them can run here.

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/internal/engine/wazevo/backend"
	"github.com/tetratelabs/wazero/internal/engine/wazevo/backend/isa/amd64"
	"github.com/tetratelabs/wazero/internal/engine/wazevo/backend/isa/arm64"
	"github.com/tetratelabs/wazero/internal/engine/wazevo/frontend"
	"github.com/tetratelabs/wazero/internal/engine/wazevo/ssa"
	"github.com/tetratelabs/wazero/internal/engine/wazevo/testcases"
	"github.com/tetratelabs/wazero/internal/engine/wazevo/wazevoapi"
	"github.com/tetratelabs/wazero/internal/testing/require"
	"github.com/tetratelabs/wazero/internal/wasm"
	"github.com/tetratelabs/wazero/internal/wasm/binary"
)

// crossCompileWasmEnv names an optional glob of extra .wasm files to compile
// the same way (e.g. a project's guests): "go test -run LoopTermination" with
// WAZEVO_CROSS_COMPILE_WASM='/path/to/*.wasm'.
const crossCompileWasmEnv = "WAZEVO_CROSS_COMPILE_WASM"

func TestLoopTerminationCheck_CompilesOnAllBackends(t *testing.T) {
	type namedModule struct {
		name string
		m    *wasm.Module
	}
	var modules []namedModule
	for _, tc := range []testcases.TestCase{
		testcases.LoopBr,
		testcases.LoopBrIf,
		testcases.LoopBrWithParamResults,
		testcases.ReferenceValueFromUnsealedBlock,
		testcases.ReferenceValueFromUnsealedBlock2,
		testcases.ReferenceValueFromUnsealedBlock3,
	} {
		modules = append(modules, namedModule{tc.Name, tc.Module})
	}
	if glob := os.Getenv(crossCompileWasmEnv); glob != "" {
		paths, err := filepath.Glob(glob)
		require.NoError(t, err)
		for _, p := range paths {
			bin, err := os.ReadFile(p)
			require.NoError(t, err)
			m, err := binary.DecodeModule(bin, api.CoreFeaturesV2|experimentalFeatures, wasm.MemoryLimitPages, false, false, false)
			require.NoError(t, err, p)
			modules = append(modules, namedModule{filepath.Base(p), m})
		}
	}

	for _, arch := range []struct {
		name string
		mach func() backend.Machine
	}{
		{"amd64", amd64.NewBackend},
		{"arm64", arm64.NewBackend},
	} {
		for _, nm := range modules {
			t.Run(arch.name+"/"+nm.name, func(t *testing.T) {
				m := nm.m
				ssaBuilder := ssa.NewBuilder()
				be := backend.NewCompiler(context.Background(), arch.mach(), ssaBuilder)
				offsets := wazevoapi.NewModuleContextOffsetData(m, false)
				fe := frontend.NewFrontendCompiler(m, ssaBuilder, &offsets, true /* ensureTermination */, false, false)
				for i := range m.CodeSection {
					idx := wasm.Index(i)
					typIndex := m.FunctionSection[idx]
					code := &m.CodeSection[idx]
					fe.Init(idx, typIndex, &m.TypeSection[typIndex], code.LocalTypes, code.Body, false, code.BodyOffsetInCodeSection)
					be.Init()
					fe.LowerToSSA()
					ssaBuilder.RunPasses()
					_, _, err := be.Compile(context.Background())
					require.NoError(t, err)
				}
			})
		}
	}
}

// experimentalFeatures are the features, beyond CoreFeaturesV2, that a guest may use.
const experimentalFeatures = experimental.CoreFeaturesThreads | experimental.CoreFeaturesTailCall |
	experimental.CoreFeaturesExtendedConst | experimental.CoreFeaturesExceptionHandling
