// hello: the workload the end-to-end tests run as a Pod on every worker (an image built here and
// imported into containerd, since no registry is reachable). It prints one line naming the node
// and pod at start and then one a second, and answers HTTP on :8080 with the same line, so a test
// can read it back through `kubectl logs` (API server -> kubelet) and reach it on the pod's IP.
package main

import (
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func line() string {
	return fmt.Sprintf("hello from pod %s on node %s", os.Getenv("POD_NAME"), os.Getenv("NODE_NAME"))
}

func main() {
	fmt.Println(line())
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, line()) })
	go func() {
		if err := http.ListenAndServe(":8080", nil); err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
		}
	}()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	tick := time.NewTicker(time.Second)
	for n := 1; ; n++ {
		select {
		case <-tick.C:
			fmt.Printf("tick %d\n", n)
		case s := <-sigs:
			fmt.Printf("stopping on %v\n", s)
			return
		}
	}
}
