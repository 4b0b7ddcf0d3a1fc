// Package endpointtest serves endpoints that misbehave, on 127.0.0.1, for
// tests of what ldexport does when AWS (or a proxy, or an emulator) will not
// answer properly: a port that refuses, a listener that never answers, a
// fixed AWS error, an HTML error page. Each is closed when the test ends.
package endpointtest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Silent returns the URL of a listener that accepts connections, reads what
// comes and never answers.
func Silent(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

// Refused returns the URL of a loopback port nothing listens on.
func Refused(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

// Answering returns the URL of a server that answers every request with
// status, contentType and body.
func Answering(t testing.TB, status int, contentType, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// AWSError returns the URL of a server that answers every request with the
// AWS JSON error code and message, as Kinesis does.
func AWSError(t testing.TB, status int, code, message string) string {
	t.Helper()
	return Answering(t, status, "application/x-amz-json-1.1", fmt.Sprintf(`{"__type":%q,"message":%q}`, code, message))
}
