package main

import (
	"log"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The machine may be shared (other builds and tests running): these
// measure how much CPU processes other than ours used during a run, so
// the report can say so, and wait for a quiet moment before each server.

var clockTick = 100.0 // USER_HZ; 100 on every Linux this runs on

// cpuSnapshot is the CPU time (in ticks) of every process outside our
// process groups, and the total of the first of our groups (the server
// under load).
type cpuSnapshot struct {
	at     time.Time
	ticks  map[int]uint64
	server uint64 // the processes of ourPGIDs[0]
}

// foreignSnapshot reads every process's CPU time in one walk of /proc.
func foreignSnapshot(ourPGIDs ...int) cpuSnapshot {
	s := cpuSnapshot{at: time.Now(), ticks: map[int]uint64{}}
	self := syscall.Getpgrp()
	eachProc(func(pid, pgrp int, ticks uint64) {
		switch {
		case len(ourPGIDs) > 0 && pgrp == ourPGIDs[0]:
			s.server += ticks
		case pgrp != self && !contains(ourPGIDs, pgrp):
			s.ticks[pid] = ticks
		}
	})
	return s
}

// eachProc calls fn with every process's pid, process group and CPU time
// (user + system, in ticks, all its threads), from /proc.
func eachProc(fn func(pid, pgrp int, ticks uint64)) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command (which may contain spaces) start at ')'.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		// f[0]=state f[1]=ppid f[2]=pgrp ... f[11]=utime f[12]=stime
		if len(f) < 13 {
			continue
		}
		pgrp, _ := strconv.Atoi(f[2])
		u, _ := strconv.ParseUint(f[11], 10, 64)
		st, _ := strconv.ParseUint(f[12], 10, 64)
		fn(pid, pgrp, u+st)
	}
}

func contains(v []int, x int) bool {
	for _, y := range v {
		if y == x {
			return true
		}
	}
	return false
}

// foreignCPU is the CPU other processes used between two snapshots, in
// CPUs (1.0 = one core busy the whole time).
func foreignCPU(a, b cpuSnapshot) float64 {
	var d uint64
	for pid, t := range b.ticks {
		if t0, ok := a.ticks[pid]; ok && t >= t0 {
			d += t - t0
		} else if !ok {
			d += t // started during the window
		}
	}
	secs := b.at.Sub(a.at).Seconds()
	if secs <= 0 {
		return 0
	}
	return float64(d) / clockTick / secs
}

// waitQuiet waits up to max for a one-second window in which other
// processes use less than a tenth of a CPU, and returns the last window's
// load.
func waitQuiet(max time.Duration, ourPGIDs ...int) float64 {
	deadline := time.Now().Add(max)
	warned := false
	for {
		a := foreignSnapshot(ourPGIDs...)
		time.Sleep(time.Second)
		load := foreignCPU(a, foreignSnapshot(ourPGIDs...))
		if load < 0.1 || time.Now().After(deadline) {
			return load
		}
		if !warned {
			log.Printf("   other processes use %.0f%% of a CPU; waiting up to %v for quiet", 100*load, max)
			warned = true
		}
	}
}
