// Command hostcore is the test guest of the host package's core tests: each
// subcommand exercises one property of suspension in imports.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	ptsevent "github.com/ptsevent/ptsevent/guest-sdk/go"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: hostcore sleep MS | pipe | block | spin | trap")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "sleep": // suspend in the sleep import, then report
		ms, _ := strconv.Atoi(os.Args[2])
		ptsevent.Sleep(time.Duration(ms) * time.Millisecond)
		fmt.Println("slept", ms)
	case "pipe": // pipe round trip through write and readline
		r, w, err := ptsevent.Pipe()
		if err != nil {
			fmt.Println("pipe error:", err)
			os.Exit(1)
		}
		w.WriteString("first line\nsecond line\n")
		w.Close()
		lr := r.LineReader(64)
		for {
			line, err := lr.ReadString()
			if err != nil {
				break
			}
			fmt.Printf("line %q\n", line)
		}
	case "block": // wait forever on an empty pipe: only a deadline ends it
		r, _, err := ptsevent.Pipe()
		if err != nil {
			fmt.Println("pipe error:", err)
			os.Exit(1)
		}
		buf := make([]byte, 1)
		n, err := r.Read(buf)
		fmt.Println("read returned", n, err)
	case "spin": // compute forever
		x := 0
		for {
			x++
		}
	case "trap":
		var p *int
		fmt.Println(*p)
	}
}
