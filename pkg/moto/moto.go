// Package moto runs moto's server (python3 -m moto.server), an independent
// implementation of IAM, STS and Kinesis, for integration tests. One server
// per test package, on a free 127.0.0.1 port, started by the first test that
// asks for it and stopped by Main; each Start resets its state so tests do
// not see each other's roles and policies.
//
// Under CI=true a missing python3 or moto fails the test; on a developer
// machine it skips with a message saying what is missing.
//
// moto is used for IAM and STS, not for counting Kinesis records: concurrent
// PutRecords can lose records on it and writes during a reshard go to closed
// parents (docs/aws-backends.md).
package moto

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ldexport/ldexport/pkg/testtools"
)

// Account is the account ID moto gives every caller.
const Account = "123456789012"

// Server is the running moto server.
type Server struct {
	// Endpoint is the server's base URL, http://127.0.0.1:PORT.
	Endpoint string
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	done     chan struct{}
	http     *http.Client
}

var (
	mu       sync.Mutex
	shared   *Server
	startErr error
)

// Main runs the package's tests and stops the shared server afterwards; call
// it from TestMain: func TestMain(m *testing.M) { moto.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	if shared != nil {
		shared.stop()
	}
	mu.Unlock()
	os.Exit(code)
}

// Start returns the package's moto server, started on first use, with its
// state reset and IAM enforcement off. Tests using it must not run in parallel.
func Start(t testing.TB) *Server {
	t.Helper()
	mu.Lock()
	if shared == nil && startErr == nil {
		shared, startErr = start()
	}
	s, err := shared, startErr
	mu.Unlock()
	if err != nil {
		testtools.Unavailable(t, "moto", err)
	}
	if err := s.post("/moto-api/reset", ""); err != nil {
		t.Fatalf("moto: reset: %v", err)
	}
	if err := s.post("/moto-api/reset-auth", "inf"); err != nil {
		t.Fatalf("moto: reset-auth: %v", err)
	}
	return s
}

// launcher runs moto.server and exits when its stdin closes, so a test binary
// that dies (a panic, a -timeout) never leaves a server behind.
const launcher = `import os, sys, threading
def watch():
    sys.stdin.read()
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
from moto.server import main
main(sys.argv[1:])
`

func start() (*Server, error) {
	py, err := exec.LookPath("python3")
	if err != nil {
		return nil, fmt.Errorf("%w: python3 is not on PATH (moto 5 needs Python 3 with moto[server])", testtools.ErrNotInstalled)
	}
	probe := exec.Command(py, "-c", "import moto.server")
	if out, err := probe.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%w: python3 cannot import moto.server (pip install 'moto[server]'): %s", testtools.ErrNotInstalled, strings.TrimSpace(lastLine(string(out))))
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := launch(py)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// launch starts moto on a port that was free a moment ago and waits until it
// answers; another process taking the port first makes it fail, and start
// tries again.
func launch(py string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(py, "-c", launcher, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	// moto's request log would drown the test output; its errors matter.
	cmd.Stdout = io.Discard
	var stderr tailBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{
		Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port),
		cmd:      cmd,
		stdin:    stdin,
		done:     make(chan struct{}),
		http:     &http.Client{Timeout: 10 * time.Second},
	}
	go func() { _ = cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return nil, fmt.Errorf("moto.server exited before it was ready: %s", lastLine(stderr.String()))
		case <-time.After(100 * time.Millisecond):
		}
		if s.ready() {
			return s, nil
		}
	}
	s.stop()
	return nil, errors.New("moto.server not ready after 60s")
}

func (s *Server) ready() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.Endpoint+"/moto-api/", nil)
	resp, err := s.http.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (s *Server) stop() {
	_ = s.stdin.Close()
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
	<-s.done
}

func (s *Server) post(path, body string) error {
	resp, err := s.http.Post(s.Endpoint+path, "text/plain", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, b)
	}
	return nil
}

// EnforceIAM switches moto's IAM enforcement on: from now on every request
// must be signed with an access key of an IAM user whose policies allow it
// (moto's POST /moto-api/reset-auth with body 0). Start switches it off.
func (s *Server) EnforceIAM(t testing.TB) {
	t.Helper()
	if err := s.post("/moto-api/reset-auth", "0"); err != nil {
		t.Fatalf("moto: enforce IAM: %v", err)
	}
}

// Config returns an SDK configuration for the server with the given static
// credentials (any will do while IAM enforcement is off).
func (s *Server) Config(accessKey, secretKey string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
	}
}

// IAM returns an IAM client for the server signing with placeholder credentials.
func (s *Server) IAM() *iam.Client { return iam.NewFromConfig(s.Config("testing", "testing")) }

// STS returns an STS client for the server signing with placeholder credentials.
func (s *Server) STS() *sts.Client { return sts.NewFromConfig(s.Config("testing", "testing")) }

// Kinesis returns a Kinesis client for the server signing with placeholder credentials.
func (s *Server) Kinesis() *kinesis.Client {
	return kinesis.NewFromConfig(s.Config("testing", "testing"))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// tailBuffer keeps the last 4 KiB written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > 4096 {
		b.buf = b.buf[len(b.buf)-4096:]
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
