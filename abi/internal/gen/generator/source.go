package generator

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// constDecl is one exported constant of package abi, read from its source
// so that new constants reach the C header without touching the generator.
type constDecl struct {
	Name    string
	Value   constant.Value
	Literal string // the source expression when it is a plain literal (keeps 0x100 in hex)
	Type    string // "" for untyped constants, else the named type ("Errno", "Kind", ...)
	Doc     string // the spec's own doc or line comment
}

// constGroup is one const (...) declaration: its doc and its constants.
type constGroup struct {
	Doc    string
	Consts []constDecl
}

// source is what the generator reads from package abi's files.
type source struct {
	Groups []constGroup
	byName map[string]constDecl
}

// int returns the integer value of the constant name (it panics on a name
// that is not an integer constant of package abi: a generator bug).
func (s *source) int(name string) int64 {
	c, ok := s.byName[name]
	if !ok {
		panic("generator: package abi has no constant " + name)
	}
	v, ok := constant.Int64Val(c.Value)
	if !ok {
		panic("generator: constant " + name + " is not an integer")
	}
	return v
}

// errnoDoc returns the doc comment of an Errno constant, if it has one.
func (s *source) errnoDoc(name string) string { return s.byName[name].Doc }

// loadSource parses and type-checks package abi's non-test files in dir.
func loadSource(dir string) (*source, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	fset := token.NewFileSet()
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, n, b, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		if f.Name.Name != "abi" {
			continue
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no Go files of package abi in %s", dir)
	}
	info := &types.Info{Defs: map[*ast.Ident]types.Object{}}
	conf := types.Config{Error: func(error) {}}
	if _, err := conf.Check("github.com/ptsevent/ptsevent/abi", fset, files, info); err != nil {
		return nil, fmt.Errorf("type-check package abi: %w", err)
	}
	s := &source{byName: map[string]constDecl{}}
	for _, f := range files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			g := constGroup{Doc: commentText(gd.Doc)}
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				doc := commentText(vs.Doc)
				if doc == "" {
					doc = commentText(vs.Comment)
				}
				for i, id := range vs.Names {
					if !id.IsExported() {
						continue
					}
					obj, ok := info.Defs[id].(*types.Const)
					if !ok {
						continue
					}
					c := constDecl{Name: id.Name, Value: obj.Val(), Doc: doc}
					if named, ok := obj.Type().(*types.Named); ok {
						c.Type = named.Obj().Name()
					}
					if i < len(vs.Values) {
						if bl, ok := vs.Values[i].(*ast.BasicLit); ok {
							c.Literal = bl.Value
						}
					}
					g.Consts = append(g.Consts, c)
					s.byName[c.Name] = c
				}
			}
			if len(g.Consts) > 0 {
				s.Groups = append(s.Groups, g)
			}
		}
	}
	return s, nil
}

func commentText(cg *ast.CommentGroup) string {
	if cg == nil {
		return ""
	}
	return strings.TrimSpace(cg.Text())
}

// cValue renders a constant's value for C.
func (c constDecl) cValue() string {
	switch c.Value.Kind() {
	case constant.String:
		return c.Value.ExactString()
	case constant.Int:
		if c.Literal != "" && !strings.ContainsAny(c.Literal, "_'\"") {
			return c.Literal
		}
		return c.Value.ExactString()
	}
	return c.Value.ExactString()
}

// upperSnake turns a Go constant name into C style: AF_INET stays,
// SockaddrOffScopeID becomes SOCKADDR_OFF_SCOPE_ID.
func upperSnake(name string) string {
	if strings.ToUpper(name) == name {
		return name
	}
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		isUpper := r >= 'A' && r <= 'Z'
		if i > 0 && isUpper {
			prev := rs[i-1]
			prevLowerOrDigit := (prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9')
			nextLower := i+1 < len(rs) && rs[i+1] >= 'a' && rs[i+1] <= 'z'
			if prevLowerOrDigit || (nextLower && prev >= 'A' && prev <= 'Z') {
				b.WriteByte('_')
			}
		}
		b.WriteString(strings.ToUpper(string(r)))
	}
	return b.String()
}
