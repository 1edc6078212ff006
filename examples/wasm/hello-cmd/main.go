// Command hello-cmd is the smallest ptsevent guest: a WASI command that
// greets, prints its arguments and $GREETING, and exits with the code it
// is asked for. Its flags exercise what `ptsevent run` passes through:
//
//	-exit N     exit with status N
//	-cat PATH   print the file at PATH (a guest path: needs --dir)
//	-stdin      copy standard input to standard output
//	-err MSG    print MSG to standard error
//	-spin       compute forever (for --timeout)
//
// Build it with `make wasm` (build/wasm/hello-cmd.wasm) and run it with
//
//	ptsevent run --env GREETING=hi build/wasm/hello-cmd.wasm -exit 3 a b
//
// examples/wasm/hello-cmd-c is the same program in C; both print the same
// lines.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	exit := flag.Int("exit", 0, "exit with this status")
	cat := flag.String("cat", "", "print the file at this guest path")
	stdin := flag.Bool("stdin", false, "copy standard input to standard output")
	errMsg := flag.String("err", "", "print this message to standard error")
	spin := flag.Bool("spin", false, "compute forever")
	flag.Parse()

	fmt.Println("hello from ptsevent guest")
	for i, a := range flag.Args() {
		fmt.Printf("arg %d: %s\n", i+1, a)
	}
	if g, ok := os.LookupEnv("GREETING"); ok {
		fmt.Printf("GREETING=%s\n", g)
	}
	if *errMsg != "" {
		fmt.Fprintln(os.Stderr, *errMsg)
	}
	if *cat != "" {
		b, err := os.ReadFile(*cat)
		if err != nil {
			fmt.Fprintf(os.Stderr, "hello-cmd: %v\n", err)
			os.Exit(1)
		}
		os.Stdout.Write(b)
	}
	if *stdin {
		if _, err := io.Copy(os.Stdout, os.Stdin); err != nil {
			fmt.Fprintf(os.Stderr, "hello-cmd: stdin: %v\n", err)
			os.Exit(1)
		}
	}
	if *spin {
		spinForever()
	}
	os.Exit(*exit)
}

// spins is global so that the compiler keeps spinForever's loop.
var spins uint64

func spinForever() {
	for {
		spins++
		if spins == 0 {
			fmt.Fprintln(os.Stderr, "hello-cmd: 2^64 spins")
		}
	}
}
