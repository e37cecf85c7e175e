// hello: the smallest Go program; the runtime still starts several threads, sets up signal
// handlers on alternate stacks and maps its heap arenas before main runs.
package main

import (
	"fmt"
	"os"
	"runtime"
)

func main() {
	fmt.Printf("hello from Go on %s/%s\n", runtime.GOOS, runtime.GOARCH)
	fmt.Printf("args: %d, TEST_VAR set: %v\n", len(os.Args), os.Getenv("TEST_VAR") != "")
}
