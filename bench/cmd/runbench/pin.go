package main

import (
	"fmt"
	"log"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// pinning says where the servers and the load generator run. With two or
// more CPUs the servers get the first half of the CPUs this process may
// use and wrk (and this process, for its probes) the second half, so the
// load generator never competes with the server for a core. With one CPU,
// or without taskset, nothing is pinned.
type pinning struct {
	all     []int
	server  []int
	load    []int
	taskset string // path of taskset, "" when not pinning
	why     string // why not pinning
}

func choosePinning(want bool) pinning {
	var set unix.CPUSet
	var p pinning
	if inherited := os.Getenv("RUNBENCH_CPUS"); inherited != "" && os.Getenv("RUNBENCH_PINNED") == "1" {
		// Re-executed on the load CPUs: the CPUs we started with.
		for _, f := range strings.Split(inherited, ",") {
			if n, err := strconv.Atoi(f); err == nil {
				p.all = append(p.all, n)
			}
		}
	} else if err := unix.SchedGetaffinity(0, &set); err == nil {
		for i := 0; i < 1024; i++ {
			if set.IsSet(i) {
				p.all = append(p.all, i)
			}
		}
	}
	if len(p.all) == 0 {
		p.all = []int{0}
	}
	switch {
	case !want:
		p.why = "-no-pin"
	case len(p.all) < 2:
		p.why = "only one CPU"
	default:
		ts, err := exec.LookPath("taskset")
		if err != nil {
			p.why = "taskset not found"
			break
		}
		p.taskset = ts
		half := len(p.all) / 2
		p.server = p.all[:half]
		p.load = p.all[half:]
	}
	if p.taskset == "" {
		p.server, p.load = p.all, p.all
	}
	p.reexec()
	return p
}

// reexec moves this process onto the load CPUs, once, by running itself
// again under taskset, so the probes of the 10k test stay off the server's
// CPUs too. Commands that must not be confined (go test) are widened again
// with wide().
func (p pinning) reexec() {
	if p.taskset == "" || os.Getenv("RUNBENCH_PINNED") == "1" {
		return
	}
	self, err := os.Executable()
	if err != nil {
		return
	}
	args := append([]string{"taskset", "-c", cpuList(p.load), self}, os.Args[1:]...)
	env := append(os.Environ(), "RUNBENCH_PINNED=1", "RUNBENCH_CPUS="+cpuList(p.all))
	if err := syscall.Exec(p.taskset, args, env); err != nil {
		log.Printf("re-exec under taskset: %v (running unpinned)", err)
	}
}

func (p pinning) pinned() bool { return p.taskset != "" }

// serverCmd prefixes argv to run on the server CPUs.
func (p pinning) serverCmd(argv []string) []string { return p.on(p.server, argv) }

// loadCmd prefixes argv to run on the load-generator CPUs.
func (p pinning) loadCmd(argv []string) []string { return p.on(p.load, argv) }

// wide prefixes argv to run on every CPU.
func (p pinning) wide(argv []string) []string { return p.on(p.all, argv) }

func (p pinning) on(cpus []int, argv []string) []string {
	if p.taskset == "" {
		return argv
	}
	return append([]string{p.taskset, "-c", cpuList(cpus)}, argv...)
}

// workers is how many event loops (or processes) a server should run: one
// per server CPU.
func (p pinning) workers() int { return len(p.server) }

// loadThreads is wrk's -t: one thread per load CPU.
func (p pinning) loadThreads() int { return len(p.load) }

func (p pinning) describe() string {
	if p.taskset == "" {
		return fmt.Sprintf("not pinned (%s); servers and wrk share CPUs %s", p.why, cpuList(p.all))
	}
	return fmt.Sprintf("servers on CPU %s (taskset -c %s), wrk and the probes on CPU %s (taskset -c %s, %d wrk thread(s))",
		cpuList(p.server), cpuList(p.server), cpuList(p.load), cpuList(p.load), p.loadThreads())
}

func cpuList(cpus []int) string {
	s := make([]string, len(cpus))
	for i, c := range cpus {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ",")
}
