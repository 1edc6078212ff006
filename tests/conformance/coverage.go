package conformance

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/host"
)

// FuncCoverage is how one ABI function is covered.
type FuncCoverage struct {
	Name string `json:"name"`
	// Implemented: the host under test provides it (host.Implemented).
	Implemented bool `json:"implemented"`
	// Cases name it in their Covers list.
	Cases []string `json:"cases"`
	// Guests of the cases import it.
	Guests []string `json:"guests"`
}

// Coverage relates the ABI table (abi.Functions) to the cases and to
// what their guests actually import.
type Coverage struct {
	Functions []FuncCoverage `json:"functions"`
	// Errors are inconsistencies found on the way: a case that claims a
	// function its guest does not import, an unknown name, a guest that
	// could not be read.
	Errors []string `json:"errors,omitempty"`
}

// Problems lists why coverage is incomplete; none means every function of
// the ABI table is implemented by the host, imported by a case's guest
// and claimed by a case.
func (c *Coverage) Problems() []string {
	out := slices.Clone(c.Errors)
	for _, f := range c.Functions {
		switch {
		case !f.Implemented:
			out = append(out, fmt.Sprintf("%s: not implemented by this host (host.Implemented)", f.Name))
		case len(f.Cases) == 0 && len(f.Guests) == 0:
			out = append(out, fmt.Sprintf("%s: no case covers it and no case guest imports it", f.Name))
		case len(f.Cases) == 0:
			out = append(out, fmt.Sprintf("%s: no case covers it", f.Name))
		case len(f.Guests) == 0:
			out = append(out, fmt.Sprintf("%s: no case guest imports it", f.Name))
		}
	}
	return out
}

// ComputeCoverage relates the ABI table to cases, to imports (guest name
// to the functions it imports from the ptsevent module) and to the
// functions the host implements.
func ComputeCoverage(cases []Case, imports map[string][]string, implemented []string) *Coverage {
	cov := &Coverage{}
	idx := map[string]int{}
	for i, f := range abi.Functions {
		idx[f.Name] = i
		cov.Functions = append(cov.Functions, FuncCoverage{Name: f.Name, Implemented: slices.Contains(implemented, f.Name)})
	}
	for _, g := range sortedKeys(imports) {
		for _, name := range imports[g] {
			i, ok := idx[name]
			if !ok {
				cov.Errors = append(cov.Errors, fmt.Sprintf("guest %s imports %s.%s, which is not in the ABI table", g, abi.ModuleName, name))
				continue
			}
			cov.Functions[i].Guests = append(cov.Functions[i].Guests, g)
		}
	}
	for _, c := range cases {
		imp, haveImports := imports[c.Guest]
		for _, name := range c.Covers {
			i, ok := idx[name]
			if !ok {
				cov.Errors = append(cov.Errors, fmt.Sprintf("case %s covers %q, which is not in the ABI table", c.Name, name))
				continue
			}
			if haveImports && !slices.Contains(imp, name) {
				cov.Errors = append(cov.Errors, fmt.Sprintf("case %s covers %s, which its guest %s does not import", c.Name, name, c.Guest))
				continue
			}
			if !slices.Contains(cov.Functions[i].Cases, c.Name) {
				cov.Functions[i].Cases = append(cov.Functions[i].Cases, c.Name)
			}
		}
	}
	return cov
}

// coverageOf computes the coverage of cases: it reads the imports of
// every guest the cases use (loading those the run did not load).
func coverageOf(cases []Case, load Loader, wasm map[string][]byte, loadErr map[string]error) *Coverage {
	imports := map[string][]string{}
	var errs []string
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.Guest] {
			continue
		}
		seen[c.Guest] = true
		b, ok := wasm[c.Guest]
		if !ok {
			if err := loadErr[c.Guest]; err != nil {
				errs = append(errs, err.Error())
				continue
			}
			var err error
			if b, err = load(c.Guest); err != nil {
				errs = append(errs, err.Error())
				continue
			}
		}
		names, err := ImportedFunctions(b)
		if err != nil {
			errs = append(errs, fmt.Sprintf("guest %s: %v", c.Guest, err))
			continue
		}
		imports[c.Guest] = names
	}
	cov := ComputeCoverage(cases, imports, host.Implemented())
	cov.Errors = append(errs, cov.Errors...)
	return cov
}

// ImportedFunctions returns the names of the functions a wasm module
// imports from the ptsevent module (abi.ModuleName), sorted, read from its
// import section.
func ImportedFunctions(wasm []byte) ([]string, error) {
	r := &wasmReader{b: wasm}
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, errors.New("not a wasm module")
	}
	r.off = 8
	var names []string
	for r.off < len(r.b) {
		id := r.byte()
		size := int(r.u32())
		if r.err != nil || size > len(r.b)-r.off {
			return nil, errors.New("malformed section header")
		}
		end := r.off + size
		if id != 2 { // not the import section
			r.off = end
			continue
		}
		n := r.u32()
		for i := uint32(0); i < n && r.err == nil; i++ {
			mod, name := r.name(), r.name()
			switch kind := r.byte(); kind {
			case 0: // function: type index
				r.u32()
				if mod == abi.ModuleName {
					names = append(names, name)
				}
			case 1: // table: reference type, limits
				r.byte()
				r.limits()
			case 2: // memory: limits
				r.limits()
			case 3: // global: value type, mutability
				r.byte()
				r.byte()
			case 4: // tag: attribute, type index
				r.byte()
				r.u32()
			default:
				return nil, fmt.Errorf("unknown import kind %d", kind)
			}
		}
		if r.err != nil || r.off != end {
			return nil, errors.New("malformed import section")
		}
		break
	}
	sort.Strings(names)
	return names, nil
}

type wasmReader struct {
	b   []byte
	off int
	err error
}

func (r *wasmReader) byte() byte {
	if r.off >= len(r.b) {
		r.err = errors.New("truncated")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

// u32 reads an unsigned LEB128 number.
func (r *wasmReader) u32() uint32 {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v
		}
	}
	r.err = errors.New("bad LEB128")
	return 0
}

func (r *wasmReader) name() string {
	n := int(r.u32())
	if r.err != nil || n > len(r.b)-r.off {
		r.err = errors.New("truncated name")
		return ""
	}
	s := string(r.b[r.off : r.off+n])
	r.off += n
	return s
}

func (r *wasmReader) limits() {
	flags := r.byte()
	r.u32()
	if flags&1 != 0 {
		r.u32()
	}
}
