// gc: an allocation-heavy workload (binary trees, maps, slices that grow) with forced collections;
// the results are checked, and the collector must have run.
package main

import (
	"fmt"
	"os"
	"runtime"
)

type node struct{ left, right *node }

func build(d int) *node {
	if d == 0 {
		return &node{}
	}
	return &node{build(d - 1), build(d - 1)}
}

func (n *node) count() int {
	if n.left == nil {
		return 1
	}
	return 1 + n.left.count() + n.right.count()
}

func main() {
	long := build(16) // lives through every collection
	total := 0
	for round := 0; round < 20; round++ {
		for i := 0; i < 8; i++ {
			total += build(12).count()
		}
		m := make(map[int][]byte)
		for k := 0; k < 2000; k++ {
			m[k] = make([]byte, 100+k%300)
		}
		for k := 0; k < 2000; k += 2 {
			delete(m, k)
		}
		var s []int
		for k := 0; k < 20000; k++ {
			s = append(s, k)
		}
		total += len(m) + len(s)
		if round%5 == 4 {
			runtime.GC()
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	want := 20*8*(1<<13-1) + 20*(1000+20000)
	fmt.Printf("long-lived tree: %d nodes (want %d)\n", long.count(), 1<<17-1)
	fmt.Printf("allocated and counted: %d (want %d)\n", total, want)
	fmt.Printf("collections ran: at least 5: %v\n", ms.NumGC >= 5)
	if long.count() != 1<<17-1 || total != want || ms.NumGC < 5 {
		fmt.Println("FAIL")
		os.Exit(1)
	}
	fmt.Println("ok")
}
