// fanout: goroutines and channels in the Go runtime, timed inside the program.
//
//	go-fanout [goroutines=100000] [rounds=4] [chain=10000] [tokens=100]
//
// Two phases, each timed with time.Now (wall time, not CPU time):
//   - fanout: `rounds` times, start `goroutines` goroutines that each receive one value from a
//     shared unbuffered channel and send a result to a shared buffered one; the main goroutine
//     feeds them the values and sums the results (all of them are alive and blocked at once);
//   - chain: a pipeline of `chain` goroutines linked by unbuffered channels; `tokens` values are
//     passed through it, each incremented at every hop.
//
// Prints one JSON line "fanout" with the seconds of each phase and in total, a checksum (the same
// natively and under km) and GOMAXPROCS.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

func arg(i, dflt int) int {
	if len(os.Args) > i {
		v, err := strconv.Atoi(os.Args[i])
		if err != nil || v < 1 {
			fmt.Fprintf(os.Stderr, "go-fanout: argument %d must be a positive integer, got %q\n", i, os.Args[i])
			os.Exit(2)
		}
		return v
	}
	return dflt
}

func fanout(n int) int {
	in := make(chan int)
	out := make(chan int, 1024)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			defer wg.Done()
			v := <-in
			out <- v*2 + 1
		}()
	}
	go func() {
		for i := 0; i < n; i++ {
			in <- i
		}
	}()
	sum := 0
	for i := 0; i < n; i++ {
		sum += <-out
	}
	wg.Wait()
	return sum
}

func chain(n, tokens int) int {
	first := make(chan int)
	in := first
	for i := 0; i < n; i++ {
		next := make(chan int)
		go func(in <-chan int, out chan<- int) {
			for v := range in {
				out <- v + 1
			}
			close(out)
		}(in, next)
		in = next
	}
	last := in
	go func() {
		for t := 0; t < tokens; t++ {
			first <- t
		}
		close(first)
	}()
	sum := 0
	for v := range last {
		sum += v
	}
	return sum
}

func main() {
	goroutines, rounds, links, tokens := arg(1, 100000), arg(2, 4), arg(3, 10000), arg(4, 100)
	start := time.Now()
	sum := 0
	for r := 0; r < rounds; r++ {
		sum += fanout(goroutines)
	}
	mid := time.Now()
	sum += chain(links, tokens)
	end := time.Now()
	fmt.Printf("{\"name\":\"fanout\",\"s\":%.6f,\"fanout_s\":%.6f,\"chain_s\":%.6f,\"checksum\":%d,\"gomaxprocs\":%d,\"goroutines\":%d,\"rounds\":%d,\"chain\":%d,\"tokens\":%d}\n",
		end.Sub(start).Seconds(), mid.Sub(start).Seconds(), end.Sub(mid).Seconds(), sum, runtime.GOMAXPROCS(0), goroutines, rounds, links, tokens)
}
