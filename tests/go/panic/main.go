// panic: an unrecovered panic; the runtime prints "panic: ..." and a goroutine traceback on stderr
// and exits with status 2. A recovered panic first shows recover works.
package main

import (
	"fmt"
	"os"
)

func recovered() (msg string) {
	defer func() { msg = fmt.Sprint(recover()) }()
	var m map[string]int
	m["x"] = 1 // assignment to a nil map panics
	return "not reached"
}

func main() {
	fmt.Printf("recovered: %s\n", recovered())
	os.Stdout.Sync()
	if len(os.Args) > 1 && os.Args[1] == "nil" {
		var p *int
		fmt.Println(*p) // a nil dereference: SIGSEGV turned into a runtime panic
	}
	panic("boom from the test payload")
}
