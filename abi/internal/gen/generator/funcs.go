package generator

import (
	"fmt"
	"strings"

	"github.com/ptsevent/ptsevent/abi"
)

// pointee says what a Ptr or OutPtr parameter points to, which the ABI
// table does not record (it only knows "pointer"); the generators need it
// to type the bindings. Every pointer parameter of the table must be
// classified here: an unknown one fails generation, so a new function gets
// a deliberate type rather than a silent void*.
type pointee struct {
	Go       string // Go parameter type
	C        string // C parameter type
	Desc     string // for SPEC.md
	MergeLen bool   // Go: the pointer and its Len parameter become one string
}

var (
	ptBytesIn    = pointee{Go: "*byte", C: "const void *", Desc: "bytes the host reads"}
	ptBytesOut   = pointee{Go: "*byte", C: "void *", Desc: "bytes the host writes"}
	ptString     = pointee{Go: "string", C: "const char *", Desc: "UTF-8 text, not NUL-terminated", MergeLen: true}
	ptU32Out     = pointee{Go: "*uint32", C: "uint32_t *", Desc: "u32 result"}
	ptI32Out     = pointee{Go: "*int32", C: "int32_t *", Desc: "i32 descriptor result"}
	ptFdPair     = pointee{Go: "*[2]int32", C: "int32_t *", Desc: "two i32 descriptors"}
	ptSockaddrIn = pointee{Go: "*Sockaddr", C: "const pts_sockaddr *", Desc: "pts_sockaddr the host reads"}
	ptSockaddrO  = pointee{Go: "*Sockaddr", C: "pts_sockaddr *", Desc: "pts_sockaddr result(s)"}
	ptPollfds    = pointee{Go: "*PollFd", C: "pts_pollfd *", Desc: "array of pts_pollfd"}
	ptIovecs     = pointee{Go: "*Iovec", C: "const pts_iovec *", Desc: "array of pts_iovec"}
	ptHints      = pointee{Go: "*AddrinfoHints", C: "const pts_addrinfo_hints *", Desc: "pts_addrinfo_hints, or 0"}
	ptAddrinfos  = pointee{Go: "*Addrinfo", C: "pts_addrinfo *", Desc: "array of pts_addrinfo results"}
)

// pointees classifies pointer parameters by "function.param", or
// "*.param" for every function.
var pointees = map[string]pointee{
	"read.buf":               ptBytesOut,
	"readline.buf":           ptBytesOut,
	"recv.buf":               ptBytesOut,
	"recvfrom.buf":           ptBytesOut,
	"getsockopt.val":         ptBytesOut,
	"gethostbyaddr.name":     ptBytesOut,
	"req_environ.buf":        ptBytesOut,
	"start_response.headers": ptBytesIn,
	"start_response.status":  ptString,
	"write.buf":              ptBytesIn,
	"send.buf":               ptBytesIn,
	"sendto.buf":             ptBytesIn,
	"setsockopt.val":         ptBytesIn,
	"gethostbyname.name":     ptString,
	"fromfd.name":            ptString,
	"*.path":                 ptString,
	"*.node":                 ptString,
	"*.service":              ptString,
	"*.server_name":          ptString,
	"*.iovs":                 ptIovecs,
	"poll.fds":               ptPollfds,
	"pipe.fds":               ptFdPair,
	"socketpair.fds":         ptFdPair,
	"*.hints":                ptHints,
	"*.res":                  ptAddrinfos,
	"*.addrs":                ptSockaddrO,
	"*.fd":                   ptI32Out,
	"*.newfd":                ptI32Out,
	"*.size":                 ptU32Out,
}

// param is a table parameter with its generated types.
type param struct {
	abi.Param
	Pointee *pointee // Ptr and OutPtr only
	GoName  string   // lowerCamel, not a Go keyword
	GoType  string
	CType   string
	Merged  bool // Go: a Len folded into the string parameter before it
}

// fn is a table function with its generated names and types.
type fn struct {
	abi.Func
	Params []param
	GoName string
	CName  string
}

func resolveFuncs() ([]fn, error) {
	var out []fn
	seen := map[string]bool{}
	for _, f := range abi.Functions {
		if seen[f.Name] {
			return nil, fmt.Errorf("function %s appears twice in abi.Functions", f.Name)
		}
		seen[f.Name] = true
		r := fn{Func: f, GoName: goExported(f.Name), CName: "pts_" + f.Name}
		for i, p := range f.Params {
			rp := param{Param: p, GoName: goLocal(p.Name)}
			switch p.Kind {
			case abi.Fd:
				rp.GoType, rp.CType = "int32", "int32_t"
			case abi.Len:
				rp.GoType, rp.CType = "uint32", "uint32_t"
				if i == 0 || f.Params[i-1].Kind != abi.Ptr {
					return nil, fmt.Errorf("%s.%s: a Len parameter must follow a Ptr", f.Name, p.Name)
				}
				if pt := out0(r.Params[i-1].Pointee); pt.MergeLen {
					rp.Merged = true
				}
			case abi.Ptr, abi.OutPtr:
				pt, ok := pointees[f.Name+"."+p.Name]
				if !ok {
					pt, ok = pointees["*."+p.Name]
				}
				if !ok && p.Name == "addr" { // a pts_sockaddr, read or written
					pt, ok = ptSockaddrIn, true
					if p.Kind == abi.OutPtr {
						pt = ptSockaddrO
					}
				}
				if !ok && p.Kind == abi.OutPtr && (strings.HasPrefix(p.Name, "n") || strings.HasSuffix(p.Name, "_size")) {
					pt, ok = ptU32Out, true
				}
				if !ok {
					return nil, fmt.Errorf("%s.%s: pointer parameter with no pointee type; classify it in abi/internal/gen/generator/funcs.go", f.Name, p.Name)
				}
				if pt.MergeLen && (i+1 >= len(f.Params) || f.Params[i+1].Kind != abi.Len) {
					return nil, fmt.Errorf("%s.%s: a string pointer must be followed by its Len", f.Name, p.Name)
				}
				rp.Pointee = &pt
				rp.GoType, rp.CType = pt.Go, pt.C
			default: // Value
				if p.Type == abi.I64 {
					rp.GoType, rp.CType = "int64", "int64_t"
				} else {
					rp.GoType, rp.CType = "int32", "int32_t"
				}
			}
			if p.Type == abi.I64 && (p.Kind != abi.Value) {
				return nil, fmt.Errorf("%s.%s: only Value parameters may be i64", f.Name, p.Name)
			}
			r.Params = append(r.Params, rp)
		}
		out = append(out, r)
	}
	return out, nil
}

func out0(p *pointee) pointee {
	if p == nil {
		return pointee{}
	}
	return *p
}

// initialisms are written in capitals in Go names.
var initialisms = map[string]string{"abi": "ABI", "tls": "TLS", "id": "ID", "ns": "Ns"}

// goExported turns snake_case into an exported Go name: tls_client becomes
// TLSClient, abi_version ABIVersion.
func goExported(s string) string {
	var b strings.Builder
	for _, w := range strings.Split(s, "_") {
		if w == "" {
			continue
		}
		if up, ok := initialisms[w]; ok {
			b.WriteString(up)
			continue
		}
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

var goKeywords = map[string]bool{
	"break": true, "case": true, "chan": true, "const": true, "continue": true, "default": true,
	"defer": true, "else": true, "fallthrough": true, "for": true, "func": true, "go": true,
	"goto": true, "if": true, "import": true, "interface": true, "map": true, "package": true,
	"range": true, "return": true, "select": true, "struct": true, "switch": true, "type": true, "var": true,
	// Predeclared names a parameter should not shadow.
	"len": true, "cap": true, "string": true, "byte": true, "error": true, "new": true, "make": true,
}

// goLocal turns snake_case into a lowerCamel parameter name that is not a
// Go keyword: buf_len becomes bufLen, type becomes typ.
func goLocal(s string) string {
	e := goExported(s)
	if e == "" {
		return "_"
	}
	// Lower the leading initialism or letter.
	var out string
	switch {
	case strings.HasPrefix(e, "ABI"), strings.HasPrefix(e, "TLS"):
		out = strings.ToLower(e[:3]) + e[3:]
	case strings.HasPrefix(e, "ID"):
		out = "id" + e[2:]
	default:
		out = strings.ToLower(e[:1]) + e[1:]
	}
	if goKeywords[out] {
		if out == "type" {
			return "typ"
		}
		return out + "_"
	}
	return out
}

// blocksWord renders Func.Blocks.
func blocksWord(f abi.Func) string {
	if f.Blocks {
		return "yes"
	}
	return "no"
}

// errorNames lists a function's errors as names.
func errorNames(f abi.Func) []string {
	out := make([]string, len(f.Errors))
	for i, e := range f.Errors {
		out[i] = e.Name()
	}
	return out
}

// watSignature renders a function's import in WAT.
func watSignature(f abi.Func) string {
	var b strings.Builder
	fmt.Fprintf(&b, "(import %q %q (func", abi.ModuleName, f.Name)
	for _, p := range f.Params {
		fmt.Fprintf(&b, " (param $%s %s)", p.Name, p.Type)
	}
	b.WriteString(" (result i32)))")
	return b.String()
}

// kindWord renders a parameter's kind for SPEC.md.
func kindWord(k abi.Kind) string {
	switch k {
	case abi.Fd:
		return "descriptor"
	case abi.Ptr:
		return "pointer"
	case abi.Len:
		return "length"
	case abi.OutPtr:
		return "out-pointer"
	}
	return "value"
}

// universalErrors renders the errors every function with a descriptor
// (EBADF) or a pointer (EFAULT) may return, as ", plus EBADF and EFAULT".
func universalErrors(f fn, quote string) string {
	var es []string
	hasFd, hasPtr := false, false
	for _, p := range f.Params {
		switch p.Kind {
		case abi.Fd:
			hasFd = true
		case abi.Ptr, abi.OutPtr:
			hasPtr = true
		}
	}
	if hasFd {
		es = append(es, quote+"EBADF"+quote)
	}
	if hasPtr {
		es = append(es, quote+"EFAULT"+quote)
	}
	if len(es) == 0 {
		return ""
	}
	return ", plus " + strings.Join(es, " and ")
}

// export is a function the guest exports for the host (abi.Exports).
type export struct {
	abi.Export
	CResult string
	CParams []string
}

func resolveExports() ([]export, error) {
	var out []export
	for _, e := range abi.Exports {
		x := export{Export: e, CResult: "void"}
		switch len(e.Results) {
		case 0:
		case 1:
			x.CResult = "int32_t"
			if e.Results[0] == abi.I64 {
				x.CResult = "int64_t"
			}
		default:
			return nil, fmt.Errorf("export %s: more than one result", e.Name)
		}
		for _, p := range e.Params {
			if p.Kind != abi.Value && p.Kind != abi.Fd {
				return nil, fmt.Errorf("export %s.%s: exports take values and descriptors only", e.Name, p.Name)
			}
			t := "int32_t"
			if p.Type == abi.I64 {
				t = "int64_t"
			}
			x.CParams = append(x.CParams, t+" "+p.Name)
		}
		out = append(out, x)
	}
	return out, nil
}

// watExport renders an export in WAT.
func watExport(e abi.Export) string {
	var b strings.Builder
	fmt.Fprintf(&b, "(export %q (func", e.Name)
	for _, p := range e.Params {
		fmt.Fprintf(&b, " (param $%s %s)", p.Name, p.Type)
	}
	for _, r := range e.Results {
		fmt.Fprintf(&b, " (result %s)", r)
	}
	b.WriteString("))")
	return b.String()
}
