package childserver_test

import (
	"bytes"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/childserver"
)

func TestReady(t *testing.T) {
	var b bytes.Buffer
	if err := childserver.Ready(&b, "http://127.0.0.1:4567"); err != nil || b.String() != "ready http://127.0.0.1:4567\n" {
		t.Fatalf("Ready wrote %q, %v", b.String(), err)
	}
}

// returns reports whether WaitForStop returns within a second.
func returns(stdin io.Reader, watchStdin bool, stop <-chan os.Signal) bool {
	done := make(chan struct{})
	go func() {
		childserver.WaitForStop(stdin, watchStdin, stop)
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(time.Second):
		return false
	}
}

func TestWaitForStop(t *testing.T) {
	never := make(chan os.Signal)
	signalled := make(chan os.Signal, 1)
	signalled <- syscall.SIGTERM
	open, w := io.Pipe()
	defer w.Close()
	tests := []struct {
		name       string
		stdin      io.Reader
		watchStdin bool
		stop       <-chan os.Signal
		want       bool
	}{
		{"stdin closed", strings.NewReader("anything"), true, never, true},
		{"stdin closed but not watched", strings.NewReader(""), false, never, false},
		{"stdin open", open, true, never, false},
		{"a signal", open, true, signalled, true},
	}
	for _, tt := range tests {
		if got := returns(tt.stdin, tt.watchStdin, tt.stop); got != tt.want {
			t.Errorf("%s: returned %t, want %t", tt.name, got, tt.want)
		}
	}
}
