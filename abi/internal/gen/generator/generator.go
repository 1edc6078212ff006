// Package generator is the core of abi/internal/gen: it renders every file
// generated from package abi into memory, so both the command (which writes
// them) and abi's staleness test (which compares them with the disk) use
// the same code.
package generator

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Paths of the generated files, relative to the repository root, with
// forward slashes.
const (
	PathGoImports = "guest-sdk/go/sys/imports_wasip1.go"
	PathGoStubs   = "guest-sdk/go/sys/imports_other.go"
	PathGoTypes   = "guest-sdk/go/sys/types.go"
	PathCHeader   = "guest-sdk/c/ptsevent.h"
	PathSpec      = "abi/SPEC.md"
)

// Generate renders every generated file from package abi. root is the
// repository root: the constants' docs are read from root/abi/*.go and the
// hand-written prose of root/abi/SPEC.md is kept around its generated
// sections. The result maps each file's path (relative to root, forward
// slashes) to its full contents.
func Generate(root string) (map[string][]byte, error) {
	src, err := loadSource(filepath.Join(root, "abi"))
	if err != nil {
		return nil, err
	}
	fns, err := resolveFuncs()
	if err != nil {
		return nil, err
	}
	exps, err := resolveExports()
	if err != nil {
		return nil, err
	}
	spec, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(PathSpec)))
	if err != nil {
		return nil, fmt.Errorf("read the hand-written part of SPEC.md: %w", err)
	}
	renders := []struct {
		path   string
		render func() ([]byte, error)
	}{
		{PathGoImports, func() ([]byte, error) { return goImports(fns) }},
		{PathGoStubs, func() ([]byte, error) { return goStubs(fns) }},
		{PathGoTypes, goTypes},
		{PathCHeader, func() ([]byte, error) { return cHeader(src, fns, exps), nil }},
		{PathSpec, func() ([]byte, error) { return specFile(spec, src, fns, exps) }},
	}
	out := map[string][]byte{}
	for _, r := range renders {
		b, err := r.render()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.path, err)
		}
		out[r.path] = b
	}
	return out, nil
}

// Stale returns the generated files whose contents on disk differ from
// what Generate renders (or that are missing), sorted.
func Stale(root string) ([]string, error) {
	files, err := Generate(root)
	if err != nil {
		return nil, err
	}
	var stale []string
	for path, want := range files {
		got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(path)))
		if err != nil || !bytes.Equal(got, want) {
			stale = append(stale, path)
		}
	}
	sort.Strings(stale)
	return stale, nil
}

// Write renders the generated files and writes those that changed. It
// returns the paths written, sorted.
func Write(root string) ([]string, error) {
	files, err := Generate(root)
	if err != nil {
		return nil, err
	}
	var written []string
	for path, want := range files {
		full := filepath.Join(root, filepath.FromSlash(path))
		if got, err := os.ReadFile(full); err == nil && bytes.Equal(got, want) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return written, err
		}
		if err := os.WriteFile(full, want, 0o644); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	sort.Strings(written)
	return written, nil
}
