// Package kinesismock runs kinesis-mock (npm kinesis-local, pinned in
// tools/kinesis-mock), the Kinesis engine LocalStack uses, for integration
// tests of what kinesalite lacks: UpdateShardCount.
//
// kinesis-mock listens on every interface and has no bind-address setting,
// so it only ever runs inside a network namespace of the test's own with
// nothing but loopback up. The client has to be in that namespace too:
// InNamespace re-executes the test binary there (ip netns exec) to run one
// test, and Start, called by that test inside the namespace, launches the
// emulator on 127.0.0.1.
//
// Under CI=true anything missing (Linux network namespaces, root, the ip
// command, Node.js, the npm install) fails the test; elsewhere it skips.
package kinesismock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/ldexport/ldexport/pkg/kinesalite"
	"github.com/ldexport/ldexport/pkg/testtools"
)

// namespaceEnv names the namespace a re-executed test runs in.
const namespaceEnv = "LDEXPORT_TEST_NETNS"

// skipOrFail skips the test, or fails it under CI=true.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	testtools.Missing(t, "kinesis-mock: "+format, args...)
}

// InNamespace reports whether the test runs inside its network namespace.
// Outside, it creates one (only loopback up), runs this same test in it by
// re-executing the test binary, reports the child's output and result, and
// removes the namespace; it returns false and the caller returns:
//
//	if !kinesismock.InNamespace(t) {
//		return
//	}
//	e := kinesismock.Start(t, "stream:2")
func InNamespace(t *testing.T) bool {
	t.Helper()
	if ns := os.Getenv(namespaceEnv); ns != "" {
		return true
	}
	if _, _, err := tools(); err != nil {
		skipOrFail(t, "%v", err)
	}
	ip, err := exec.LookPath("ip")
	if err != nil {
		skipOrFail(t, "the ip command (iproute2) is not on PATH")
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "network namespaces need root")
	}
	ns := "ldexport-test-" + randomHex(4)
	if out, err := exec.Command(ip, "netns", "add", ns).CombinedOutput(); err != nil {
		skipOrFail(t, "ip netns add: %v: %s", err, strings.TrimSpace(string(out)))
	}
	defer removeNamespace(t, ip, ns)
	if out, err := exec.Command(ip, "netns", "exec", ns, "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("ip link set lo up in %s: %v: %s", ns, err, out)
	}

	args := []string{"netns", "exec", ns, os.Args[0], "-test.run", "^" + t.Name() + "$", "-test.count", "1", "-test.v"}
	if d, ok := t.Deadline(); ok {
		args = append(args, "-test.timeout", time.Until(d).Round(time.Second).String())
	}
	cmd := exec.Command(ip, args...)
	cmd.Env = append(os.Environ(), namespaceEnv+"="+ns)
	wd, _ := os.Getwd()
	cmd.Dir = wd
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		t.Log(line)
	}
	switch {
	case err != nil:
		t.Fatalf("%s in network namespace %s: %v", t.Name(), ns, err)
	case strings.Contains(string(out), "--- SKIP: "+t.Name()):
		t.Skipf("skipped in network namespace %s", ns)
	case !strings.Contains(string(out), "--- PASS: "+t.Name()):
		t.Fatalf("%s did not run in network namespace %s", t.Name(), ns)
	}
	return false
}

// removeNamespace ends what still runs in ns (only processes this test
// started can be there) and deletes it.
func removeNamespace(t *testing.T, ip, ns string) {
	if out, err := exec.Command(ip, "netns", "pids", ns).Output(); err == nil {
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil {
				if p, err := os.FindProcess(pid); err == nil {
					_ = p.Kill()
				}
			}
		}
	}
	if out, err := exec.Command(ip, "netns", "del", ns).CombinedOutput(); err != nil {
		t.Errorf("ip netns del %s: %v: %s", ns, err, out)
	}
}

// Emulator is one running kinesis-mock inside the test's namespace.
type Emulator struct {
	// Endpoint is its plain-HTTP base URL, http://127.0.0.1:PORT.
	Endpoint string
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	done     chan struct{}
}

// Start launches kinesis-mock with the given streams ("name:shards") and
// waits until they are ACTIVE; it is stopped when t ends. It must be called
// inside the namespace (InNamespace returned true).
func Start(t testing.TB, streams ...string) *Emulator {
	t.Helper()
	ns := os.Getenv(namespaceEnv)
	if ns == "" {
		t.Fatal("kinesismock.Start outside a network namespace: kinesis-mock listens on every interface (use InNamespace)")
	}
	node, dir, err := tools()
	if err != nil {
		t.Fatalf("kinesis-mock: %v", err)
	}
	const port = 4568 // the namespace is the test's own: no one else listens
	cmd := exec.Command(node, filepath.Join(dir, "launcher.js"))
	cmd.Env = append(os.Environ(),
		"KINESIS_MOCK_CERT_PATH="+filepath.Join(dir, "node_modules", "kinesis-local", "server.json"),
		"KINESIS_MOCK_PLAIN_PORT="+strconv.Itoa(port),
		"KINESIS_MOCK_TLS_PORT=4567",
		"INITIALIZE_STREAMS="+strings.Join(streams, ","),
		"CREATE_STREAM_DURATION=100ms",
		"UPDATE_SHARD_COUNT_DURATION=500ms",
		"LOG_LEVEL=WARN",
	)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("kinesis-mock: %v", err)
	}
	e := &Emulator{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(e.done) }()
	t.Cleanup(e.Stop)
	for _, s := range streams {
		name, _, _ := strings.Cut(s, ":")
		e.waitActive(t, name, 60*time.Second)
	}
	return e
}

// Stop ends the emulator and waits for it.
func (e *Emulator) Stop() {
	_ = e.stdin.Close()
	select {
	case <-e.done:
	case <-time.After(2 * time.Second):
		_ = e.cmd.Process.Kill()
		<-e.done
	}
}

// Client returns an SDK Kinesis client for the emulator, with placeholder credentials.
func (e *Emulator) Client() *kinesis.Client { return kinesalite.NewClient(e.Endpoint) }

// WaitActive waits until a stream is ACTIVE: created, or done resharding.
func (e *Emulator) WaitActive(t testing.TB, name string) {
	t.Helper()
	e.waitActive(t, name, 60*time.Second)
}

func (e *Emulator) waitActive(t testing.TB, name string, limit time.Duration) {
	t.Helper()
	c := e.Client()
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-e.done:
			t.Fatal("kinesis-mock exited")
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		cancel()
		if err == nil && out.StreamDescriptionSummary.StreamStatus == "ACTIVE" {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("kinesis-mock: stream %s not ACTIVE after %s (last error: %v)", name, limit, last)
}

// tools returns node and tools/kinesis-mock, checking that `make tools`
// installed it.
func tools() (node, dir string, err error) {
	return testtools.Node("kinesis-mock", filepath.Join("kinesis-local", "main.js"))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
