// timers: time.Sleep, time.After, a Ticker counting 5 ticks, time.AfterFunc, a stopped timer that
// never fires, a Reset timer, and a select with a timeout. Prints ok/FAIL lines only.
package main

import (
	"fmt"
	"os"
	"time"
)

var failures int

func check(what string, ok bool) {
	if ok {
		fmt.Printf("%s: ok\n", what)
	} else {
		fmt.Printf("%s: FAIL\n", what)
		failures++
	}
}

func main() {
	t0 := time.Now()
	time.Sleep(20 * time.Millisecond)
	check("time.Sleep(20ms) slept at least 20ms", time.Since(t0) >= 20*time.Millisecond)

	t0 = time.Now()
	<-time.After(15 * time.Millisecond)
	check("time.After(15ms) fired, not early", time.Since(t0) >= 15*time.Millisecond)

	t0 = time.Now() // before the ticker starts: its 5th tick is 50ms after its start, not after t0
	tk := time.NewTicker(10 * time.Millisecond)
	ticks := 0
	for range tk.C {
		ticks++
		if ticks == 5 {
			break
		}
	}
	tk.Stop()
	check("Ticker(10ms): 5 ticks, not early", ticks == 5 && time.Since(t0) >= 50*time.Millisecond)

	fired := make(chan time.Duration, 1)
	t0 = time.Now()
	time.AfterFunc(10*time.Millisecond, func() { fired <- time.Since(t0) })
	select {
	case d := <-fired:
		check("AfterFunc(10ms) ran, not early", d >= 10*time.Millisecond)
	case <-time.After(30 * time.Second):
		check("AfterFunc(10ms) ran", false)
	}

	stopped := time.NewTimer(20 * time.Millisecond)
	check("Stop before it fires returns true", stopped.Stop())
	select {
	case <-stopped.C:
		check("a stopped timer never fires", false)
	case <-time.After(40 * time.Millisecond):
		check("a stopped timer never fires", true)
	}

	rt := time.NewTimer(time.Hour)
	rt.Reset(5 * time.Millisecond)
	t0 = time.Now()
	<-rt.C
	check("Reset(5ms) of a one-hour timer fired soon", time.Since(t0) < 10*time.Second)

	never := make(chan int)
	select {
	case <-never:
		check("select timeout", false)
	case <-time.After(10 * time.Millisecond):
		check("select with a timeout", true)
	}

	// many timers at once, from many goroutines
	done := make(chan int, 100)
	for i := 0; i < 100; i++ {
		go func(i int) {
			time.Sleep(time.Duration(i%10) * time.Millisecond)
			done <- i
		}(i)
	}
	sum := 0
	for i := 0; i < 100; i++ {
		sum += <-done
	}
	check("100 goroutines sleeping 0..9ms all woke", sum == 4950)

	fmt.Printf("failures: %d\n", failures)
	if failures > 0 {
		os.Exit(1)
	}
}
