// Command manyfds is the test guest of `ptsevent run --max-fds`
// (cmd/ptsevent): it opens pipes until it holds N descriptors (os.Args[1])
// besides standard input, output and error, or until the host refuses one.
// It prints "opened K descriptors" and exits 0 when K reached N, else
// prints "opened K descriptors, then ERRNO" and exits 1.
package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	ptsevent "github.com/ptsevent/ptsevent/guest-sdk/go"
)

func main() {
	want, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fmt.Println("usage: manyfds N")
		os.Exit(2)
	}
	var files []*ptsevent.File // kept open until the guest exits
	for len(files) < want {
		r, w, err := ptsevent.Pipe()
		if err != nil {
			var e ptsevent.Errno
			name := err.Error()
			if errors.As(err, &e) {
				name = e.Name()
			}
			fmt.Printf("opened %d descriptors, then %s\n", len(files), name)
			os.Exit(1)
		}
		files = append(files, r, w)
	}
	fmt.Printf("opened %d descriptors\n", len(files))
}
