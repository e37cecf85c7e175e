// goroutines: 10,000 goroutines, each sends a value on a channel; a WaitGroup and a collector
// goroutine check every value arrived once; then a pipeline of unbuffered channels and a mutex
// counter. Prints checked totals. GOMAXPROCS from the environment is reported when set.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
)

const n = 10000

func main() {
	if os.Getenv("GOMAXPROCS") != "" {
		fmt.Printf("GOMAXPROCS=%d\n", runtime.GOMAXPROCS(0))
	}

	results := make(chan int, 64)
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if i%100 == 0 {
				runtime.Gosched()
			}
			results <- i * 3
		}(i)
	}
	done := make(chan [2]int)
	go func() {
		sum, count := 0, 0
		for v := range results {
			sum += v
			count++
		}
		done <- [2]int{sum, count}
	}()
	wg.Wait()
	close(results)
	got := <-done
	fmt.Printf("goroutines: %d, values received: %d, sum: %d (want %d)\n", n, got[1], got[0], 3*n*(n+1)/2)

	// a pipeline of 100 stages, 1000 values through it
	const stages, values = 100, 1000
	in := make(chan int)
	var c = in
	for s := 0; s < stages; s++ {
		next := make(chan int)
		go func(from <-chan int, to chan<- int) {
			for v := range from {
				to <- v + 1
			}
			close(to)
		}(c, next)
		c = next
	}
	go func() {
		for v := 0; v < values; v++ {
			in <- v
		}
		close(in)
	}()
	psum := 0
	for v := range c {
		psum += v
	}
	fmt.Printf("pipeline of %d stages: sum %d (want %d)\n", stages, psum, values*(values-1)/2+values*stages)

	var mu sync.Mutex
	counter := 0
	var wg2 sync.WaitGroup
	for g := 0; g < 50; g++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			for k := 0; k < 2000; k++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
		}()
	}
	wg2.Wait()
	fmt.Printf("mutex counter: %d (want %d)\n", counter, 50*2000)
	if got[0] != 3*n*(n+1)/2 || got[1] != n || psum != values*(values-1)/2+values*stages || counter != 100000 {
		fmt.Println("FAIL")
		os.Exit(1)
	}
	fmt.Println("ok")
}
