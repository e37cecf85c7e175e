// signals: os/signal.Notify for SIGINT and SIGTERM; prints "ready", then reports each signal it
// receives and exits 0 after the second one.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM)
	fmt.Println("ready")
	for i := 0; i < 2; i++ {
		s := <-c
		fmt.Printf("received %v\n", s)
	}
	signal.Stop(c)
	fmt.Println("bye")
}
