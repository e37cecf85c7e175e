// gc: allocation and garbage collection in the Go runtime, timed inside the program.
//
//	go-gc [rounds=8] [trees=20000] [depth=8]
//
// A long-lived binary tree (depth 18, ~262k nodes) stays reachable the whole time, so every
// collection has live data to mark. Each round builds `trees` short-lived binary trees of `depth`
// (2^(depth+1)-1 nodes each), walks each one and drops it, except every 64th tree, which goes into a
// ring of 256 so some garbage lives across collections; then runtime.GC(). The whole loop is timed
// with time.Now (wall time, not CPU time). Prints one JSON line "gc": seconds, a checksum (the same
// natively and under km), the number of collections, their total pause, GOMAXPROCS and the heap the
// runtime got from the OS.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

type node struct {
	left, right *node
	val         int32
}

func build(d int) *node {
	if d == 0 {
		return &node{val: 1}
	}
	return &node{left: build(d - 1), right: build(d - 1), val: int32(d)}
}

func (n *node) check() int {
	if n.left == nil {
		return int(n.val)
	}
	return int(n.val) + n.left.check() + n.right.check()
}

func arg(i, dflt int) int {
	if len(os.Args) > i {
		v, err := strconv.Atoi(os.Args[i])
		if err != nil || v < 1 {
			fmt.Fprintf(os.Stderr, "go-gc: argument %d must be a positive integer, got %q\n", i, os.Args[i])
			os.Exit(2)
		}
		return v
	}
	return dflt
}

func main() {
	rounds, trees, depth := arg(1, 8), arg(2, 20000), arg(3, 8)
	start := time.Now()
	longLived := build(18)
	var ring [256]*node
	sum := 0
	for r := 0; r < rounds; r++ {
		for t := 0; t < trees; t++ {
			tree := build(depth)
			sum += tree.check()
			if t%64 == 0 {
				ring[(r*trees+t)/64%len(ring)] = tree
			}
		}
		runtime.GC()
	}
	sum += longLived.check()
	for _, t := range ring {
		if t != nil {
			sum += t.check() & 1
		}
	}
	elapsed := time.Since(start).Seconds()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("{\"name\":\"gc\",\"s\":%.6f,\"checksum\":%d,\"num_gc\":%d,\"pause_total_ms\":%.3f,\"gomaxprocs\":%d,\"heap_sys_mib\":%.1f,\"rounds\":%d,\"trees\":%d,\"depth\":%d}\n",
		elapsed, sum, ms.NumGC, float64(ms.PauseTotalNs)/1e6, runtime.GOMAXPROCS(0), float64(ms.HeapSys)/(1<<20), rounds, trees, depth)
}
