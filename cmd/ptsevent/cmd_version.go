package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
)

func init() {
	register(command{name: "version", summary: "print the versions of ptsevent, its ABI, wazero and Go", run: versionMain})
}

func versionMain(args []string) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: ptsevent version")
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	printVersion(os.Stdout)
	return 0
}

func printVersion(w io.Writer) {
	bi, _ := debug.ReadBuildInfo()
	fmt.Fprintf(w, "ptsevent %s\n", programVersion(bi))
	fmt.Fprintf(w, "abi:      %d.%d\n", abi.Version, abi.VersionMinor)
	fmt.Fprintf(w, "wazero:   %s\n", depVersion(bi, "github.com/tetratelabs/wazero"))
	fmt.Fprintf(w, "go:       %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "backends: %s (default %s)\n", strings.Join(evloop.Backends(), ", "), evloop.DefaultBackend())
}

// programVersion is the main module's version as the go command stamped
// it (a tag or a pseudo-version from VCS), else the VCS revision, else
// "devel".
func programVersion(bi *debug.BuildInfo) string {
	if bi == nil {
		return "devel"
	}
	v := bi.Main.Version
	if v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return "devel " + rev + dirty
}

func depVersion(bi *debug.BuildInfo, path string) string {
	if bi != nil {
		for _, d := range bi.Deps {
			if d.Path == path {
				if d.Replace != nil {
					return d.Version + " => " + d.Replace.Path + " " + d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return "unknown"
}
