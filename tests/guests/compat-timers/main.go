// Command compat-timers is an unmodified Go program for WASI preview 1
// with goroutines, channels, time.Sleep, time.After, a ticker and select:
// when every goroutine waits, the Go runtime sleeps in poll_oneoff with a
// clock subscription, which the compat overlay turns into a timer on the
// host loop. It prints "ok" lines, or "FAIL" lines and exits 1.
//
//	-sleep D   only sleep for D (for measuring the host's idle CPU)
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"time"
)

var failed bool

func check(ok bool, name string, format string, args ...any) {
	if ok {
		fmt.Println("ok", name)
		return
	}
	failed = true
	fmt.Printf("FAIL %s: %s\n", name, fmt.Sprintf(format, args...))
}

func main() {
	sleep := flag.Duration("sleep", 0, "only sleep this long")
	flag.Parse()
	if *sleep > 0 {
		start := time.Now()
		fmt.Println("sleeping")
		time.Sleep(*sleep)
		check(time.Since(start) >= *sleep, "sleep", "woke after %v", time.Since(start))
		return
	}

	// Goroutines that sleep different times and report on a channel: they
	// must come back in the order of their sleeps.
	start := time.Now()
	const n = 50
	order := make(chan int, n)
	var wg sync.WaitGroup
	for i := n - 1; i >= 0; i-- {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			time.Sleep(time.Duration(i%10) * 15 * time.Millisecond)
			order <- i % 10
		}(i)
	}
	wg.Wait()
	close(order)
	last, sorted, count := -1, true, 0
	for v := range order {
		if v < last {
			sorted = false
		}
		last = v
		count++
	}
	elapsed := time.Since(start)
	check(count == n, "goroutines", "%d of %d came back", count, n)
	check(sorted, "sleep order", "wake-ups out of order")
	check(elapsed >= 135*time.Millisecond && elapsed < 3*time.Second, "sleep duration", "took %v, want about 135ms", elapsed)

	// select between a channel fed by a sleeping goroutine and time.After.
	ch := make(chan string)
	go func() {
		time.Sleep(20 * time.Millisecond)
		ch <- "value"
	}()
	select {
	case v := <-ch:
		check(v == "value", "select channel", "got %q", v)
	case <-time.After(2 * time.Second):
		check(false, "select channel", "time.After fired first")
	}
	t0 := time.Now()
	select {
	case <-make(chan int):
		check(false, "select timeout", "nil channel received")
	case <-time.After(40 * time.Millisecond):
		d := time.Since(t0)
		check(d >= 40*time.Millisecond && d < 2*time.Second, "select timeout", "after %v", d)
	}

	// A ticker.
	t0 = time.Now()
	tk := time.NewTicker(10 * time.Millisecond)
	for range 5 {
		<-tk.C
	}
	tk.Stop()
	d := time.Since(t0)
	check(d >= 50*time.Millisecond && d < 2*time.Second, "ticker", "5 ticks in %v", d)

	// A producer/consumer pipeline with a timer in the middle.
	src := make(chan int)
	dst := make(chan int)
	go func() {
		for i := range 10 {
			src <- i
		}
		close(src)
	}()
	go func() {
		for v := range src {
			time.Sleep(time.Millisecond)
			dst <- v * v
		}
		close(dst)
	}()
	sum := 0
	for v := range dst {
		sum += v
	}
	check(sum == 285, "pipeline", "sum %d", sum)

	if failed {
		os.Exit(1)
	}
	fmt.Println("done")
}
