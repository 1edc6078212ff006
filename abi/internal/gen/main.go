// Command gen generates the guest bindings and SPEC.md's tables from package
// abi: the Go guest SDK's imports (guest-sdk/go/sys), the C
// header (guest-sdk/c/ptsevent.h) and the generated sections of
// abi/SPEC.md. `go generate ./abi` runs it:
//
//	go run ./internal/gen -root ..
//
// With -check it writes nothing and exits with status 1, listing the stale
// files, when any generated file differs from what is on disk.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/ptsevent/ptsevent/abi/internal/gen/generator"
)

func main() {
	root := flag.String("root", ".", "the repository root")
	check := flag.Bool("check", false, "report stale generated files instead of writing them")
	flag.Parse()
	if *check {
		stale, err := generator.Stale(*root)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(2)
		}
		for _, p := range stale {
			fmt.Fprintf(os.Stderr, "gen: %s is stale: run go generate ./abi\n", p)
		}
		if len(stale) > 0 {
			os.Exit(1)
		}
		return
	}
	written, err := generator.Write(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for _, p := range written {
		fmt.Println("gen: wrote", p)
	}
}
