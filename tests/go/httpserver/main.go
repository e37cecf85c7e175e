// httpserver: a net/http server on 127.0.0.1 (port from argv[1], 0: any free one) for the server
// tests and benchmarks. Prints "listening on PORT" when ready; GET /quit ends it with status 0.
package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
)

func main() {
	port := "0"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "hello from go: %s %s\n", r.Method, r.URL.Path)
	})
	mux.HandleFunc("/sum", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		s := 0
		for i := 1; i <= n; i++ {
			s += i
		}
		fmt.Fprintf(w, "%d\n", s)
	})
	mux.HandleFunc("/hash", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%x %d\n", sha256.Sum256(b), len(b))
	})
	srv := &http.Server{Handler: mux}
	done := make(chan struct{})
	mux.HandleFunc("/quit", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "bye")
		go func() { srv.Shutdown(context.Background()); close(done) }()
	})
	fmt.Printf("listening on %d\n", ln.Addr().(*net.TCPAddr).Port)
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
	<-done
	fmt.Println("stopped")
}
