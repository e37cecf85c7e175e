// preempt: goroutines that spin in loops without function calls, so only asynchronous preemption
// (SIGURG sent by sysmon, the handler redirecting the goroutine to runtime.asyncPreempt) can take
// the CPU from them. Each keeps a xorshift64 state, a full 64-bit value, in a register the whole
// time; every goroutine must end with the state computed natively (and by main in short calls).
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
)

//go:noinline
func chain(x uint64, n int) uint64 {
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func main() {
	const seed, steps, workers = 0x9e3779b97f4a7c15, 30_000_000, 4
	const want = 0x3a2229c992e1faa8 // xorshift64 (13, 7, 17) applied 30,000,000 times to seed
	// the same chain in short pieces, each far shorter than a preemption time slice
	short := uint64(seed)
	for done := 0; done < steps; done += 10_000 {
		short = chain(short, 10_000)
	}
	if short != want {
		fmt.Printf("main, in short calls: state 0x%016x, want 0x%016x\n", short, uint64(want))
	}
	results := make([]uint64, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			results[w] = chain(seed, steps)
		}(w)
	}
	// garbage and collections meanwhile, as in a real program
	var keep [][]byte
	for i := 0; i < 2000; i++ {
		keep = append(keep, make([]byte, 1024))
		if len(keep) > 100 {
			keep = keep[1:]
		}
		if i%500 == 0 {
			runtime.GC()
		}
	}
	wg.Wait()
	bad := 0
	if short != want {
		bad++
	}
	for w, r := range results {
		if r != want {
			fmt.Printf("goroutine %d: state 0x%016x, want 0x%016x\n", w, r, uint64(want))
			bad++
		}
	}
	fmt.Printf("%d goroutines spinning without calls, preempted asynchronously: states intact: %v\n", workers, bad == 0)
	if bad != 0 {
		os.Exit(1)
	}
}
