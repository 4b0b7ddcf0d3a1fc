// Package childserver is the protocol of the fake servers that tests,
// benchmarks and the docs' examples run as child processes
// (bench/fakekinesis, tools/ldfake; tools/kinesalite/launcher.js speaks it
// too): once listening, one line "ready URL" on stdout; then serve until
// SIGINT or SIGTERM, or until stdin closes, so that a parent that dies never
// leaves a server behind.
package childserver

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// StopSignals returns a channel that receives SIGINT and SIGTERM.
func StopSignals() chan os.Signal {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	return stop
}

// Ready tells the parent, on w (stdout), that the server listens at url.
func Ready(w io.Writer, url string) error {
	_, err := fmt.Fprintf(w, "ready %s\n", url)
	return err
}

// WaitForStop returns when stop delivers a signal or, with watchStdin, when
// stdin ends (the parent closed it, or exited).
func WaitForStop(stdin io.Reader, watchStdin bool, stop <-chan os.Signal) {
	stdinClosed := make(chan struct{})
	if watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, stdin)
			close(stdinClosed)
		}()
	}
	select {
	case <-stop:
	case <-stdinClosed:
	}
}
