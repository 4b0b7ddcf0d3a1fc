package root

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/endpointtest"
	"github.com/ldexport/ldexport/pkg/store"
)

// Hostile endpoints: every command that talks to Kinesis, against an
// endpoint that refuses, never answers, answers an AWS error, an HTML page
// or an empty object. Each run must end in bounded time with the contract's
// exit code and one line on stderr naming the call, the stream, the endpoint
// and the fix.

// kinesisBy answers each Kinesis operation (by X-Amz-Target suffix) with its
// body; an operation without one is never answered (until the client gives up).
func kinesisBy(t *testing.T, ops map[string]string) string {
	t.Helper()
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
		body, ok := ops[op]
		if !ok {
			select { // silent: the client's deadline must end the call
			case <-r.Context().Done():
			case <-stop:
			}
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // runs first
	return srv.URL
}

// hostileEnv is a test Env with destination "d" (stream "s") and an input file.
func hostileEnv(t *testing.T) (*cmdtest.Env, string) {
	t.Helper()
	e := cmdtest.New(t)
	e.Seed(t, store.Destination{
		Name: "d", Project: "default", Environment: "production", Region: "us-east-1",
		StreamName: "s", StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/s",
		RoleARN: roleARN, AccountID: "123456789012", CreatedAt: cmdtest.Clock,
	})
	in := filepath.Join(t.TempDir(), "in.ndjson")
	if err := os.WriteFile(in, []byte("{\"n\":1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return e, in
}

// runBounded runs ldexport under ctx and fails the test if it has not ended
// within limit (the command would hang: the test must not).
func runBounded(t *testing.T, ctx context.Context, e *cmdtest.Env, limit time.Duration, args ...string) (int, time.Duration) {
	t.Helper()
	done := make(chan int, 1)
	start := time.Now()
	go func() { done <- Execute(ctx, e.Factory, args) }()
	select {
	case code := <-done:
		return code, time.Since(start)
	case <-time.After(limit):
		t.Fatalf("ldexport %s still running after %s: it hangs", strings.Join(args, " "), limit)
		return 0, 0
	}
}

// oneErrorLine returns the last stderr line and fails unless it is the
// only error line and free of the SDK's request details.
func oneErrorLine(t *testing.T, stderr string) string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	for _, raw := range []string{"operation error", "https response error", "RequestID", "exceeded maximum number of attempts", "context canceled", "deadline exceeded"} {
		if strings.Contains(stderr, raw) {
			t.Errorf("stderr holds the SDK's %q:\n%s", raw, stderr)
		}
	}
	return last
}

// commands are the four commands that call Kinesis, with short deadlines.
func commands(in string) map[string][]string {
	return map[string][]string{
		"dest test":  {"dest", "test", "d", "--timeout", "700ms"},
		"dest check": {"dest", "check", "d", "--timeout", "700ms"},
		"send":       {"send", in, "--stream", "s", "--retry-timeout", "700ms", "--reject-file", in + ".rej"},
		"tail":       {"tail", "--stream", "s", "--timeout", "700ms"},
	}
}

func TestHostileSilentEndpointTimesOut(t *testing.T) {
	for name := range commands("") {
		t.Run(name, func(t *testing.T) {
			e, in := hostileEnv(t)
			url := endpointtest.Silent(t)
			args := append([]string{"--endpoint-url", url}, commands(in)[name]...)
			code, took := runBounded(t, context.Background(), e, 15*time.Second, args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1 (a deadline is not an interrupt); stderr:\n%s", code, e.ErrOut)
			}
			line := oneErrorLine(t, e.ErrOut.String())
			flag := "--timeout"
			if name == "send" {
				flag = "--retry-timeout"
			}
			for _, want := range []string{"timed out after 700ms (" + flag + ")", url, `stream "s"`, "fix: "} {
				if !strings.Contains(line, want) {
					t.Errorf("error line %q lacks %q", line, want)
				}
			}
			// The deadline plus tail's 2s grace for a request in flight, with slack for a loaded machine.
			if took > 6*time.Second {
				t.Errorf("took %s with a 700ms deadline", took)
			}
		})
	}
}

func TestHostileInterruptIs130(t *testing.T) {
	for _, name := range []string{"dest test", "dest check", "tail", "send"} {
		t.Run(name, func(t *testing.T) {
			e, in := hostileEnv(t)
			url := endpointtest.Silent(t)
			// The default deadlines (30s, 1m, 10m, none): the interrupt comes first.
			args := map[string][]string{
				"dest test":  {"dest", "test", "d"},
				"dest check": {"dest", "check", "d"},
				"send":       {"send", in, "--stream", "s", "--reject-file", in + ".rej"},
				"tail":       {"tail", "--stream", "s"},
			}[name]
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(300*time.Millisecond, cancel)
			code, _ := runBounded(t, ctx, e, 15*time.Second, append([]string{"--endpoint-url", url}, args...)...)
			if code != 130 {
				t.Fatalf("exit %d after an interrupt, want 130; stderr:\n%s", code, e.ErrOut)
			}
		})
	}
}

func awsErr(code, msg string) func(testing.TB) string {
	return func(t testing.TB) string { return endpointtest.AWSError(t, 400, code, msg) }
}

func answer(status int, contentType, body string) func(testing.TB) string {
	return func(t testing.TB) string { return endpointtest.Answering(t, status, contentType, body) }
}

func TestHostileErrorAnswersAreOneFriendlyLine(t *testing.T) {
	endpoints := []struct {
		name  string
		url   func(testing.TB) string
		wants []string
	}{
		{"refused", endpointtest.Refused, []string{"connection refused", "fix: start the endpoint, or correct the endpoint URL"}},
		{"not found", awsErr("ResourceNotFoundException", "Stream s under account 000000000000 not found."), []string{"not found (ResourceNotFoundException: Stream s under account 000000000000 not found.)", "fix: "}},
		{"access denied", awsErr("AccessDeniedException", "User x is not authorized"), []string{"access denied (AccessDeniedException: User x is not authorized)", "fix: grant the caller kinesis:"}},
		{"unrecognized client", awsErr("UnrecognizedClientException", "The security token included in the request is invalid."), []string{"AWS rejected the credentials (UnrecognizedClientException", "fix: check --profile"}},
		{"expired token", awsErr("ExpiredTokenException", "The security token included in the request is expired"), []string{"AWS rejected the credentials (ExpiredTokenException", "log in again"}},
		{"HTML 502", answer(502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"), []string{"the answer is not an AWS one (HTTP 502", "502 Bad Gateway", "fix: check the endpoint URL and any proxy"}},
	}
	names := []string{"dest test", "dest check", "send", "tail"}
	for _, ep := range endpoints {
		for _, name := range names {
			t.Run(ep.name+"/"+name, func(t *testing.T) {
				e, in := hostileEnv(t)
				url := ep.url(t)
				args := append([]string{"--endpoint-url", url}, commands(in)[name]...)
				code, _ := runBounded(t, context.Background(), e, 15*time.Second, args...)
				stderr := e.ErrOut.String()
				if name == "dest check" && ep.name == "access denied" {
					// A check the caller may not make is skipped, not failed.
					if code != 0 || !strings.Contains(e.Out.String(), "caller lacks kinesis:DescribeStreamSummary") {
						t.Fatalf("exit %d, stdout %q, stderr %q", code, e.Out, stderr)
					}
					return
				}
				if code != 1 {
					t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
				}
				line := oneErrorLine(t, stderr)
				wants := append([]string{url}, ep.wants...)
				if name == "dest check" && ep.name == "not found" { // the check's own wording
					wants = []string{url, "stream s not found at endpoint", "fix: create it"}
				} else {
					wants = append(wants, `stream "s"`)
				}
				for _, want := range wants {
					if !strings.Contains(line, want) {
						t.Errorf("error line %q lacks %q", line, want)
					}
				}
			})
		}
	}
}

func TestHostileDestTestEmptyAnswerFails(t *testing.T) {
	e, _ := hostileEnv(t)
	url := endpointtest.Answering(t, 200, "application/x-amz-json-1.1", "{}")
	code, _ := runBounded(t, context.Background(), e, 15*time.Second, "--endpoint-url", url, "dest", "test", "d", "--timeout", "2s")
	if code != 1 {
		t.Fatalf("exit %d for a put answered without shard and sequence number, want 1; stdout %q", code, e.Out)
	}
	line := oneErrorLine(t, e.ErrOut.String())
	if !strings.Contains(line, "answered without a shard ID and sequence number") || e.Out.Len() != 0 {
		t.Fatalf("stderr %q, stdout %q", line, e.Out)
	}
}

// sendSummary runs send -o json and returns its summary and the reject file's lines.
func sendSummary(t *testing.T, e *cmdtest.Env, in string, args ...string) (int, map[string]any, []string) {
	t.Helper()
	rej := in + ".rej"
	args = append(args, "send", in, "--stream", "s", "--no-pace", "--reject-file", rej, "-o", "json")
	code, took := runBounded(t, context.Background(), e, 15*time.Second, args...)
	if took > 8*time.Second {
		t.Errorf("send took %s", took)
	}
	var sum map[string]any
	if err := json.Unmarshal(e.Out.Bytes(), &sum); err != nil {
		t.Fatalf("summary: %v\n%s\nstderr:\n%s", err, e.Out, e.ErrOut)
	}
	data, _ := os.ReadFile(rej)
	return code, sum, strings.Fields(string(data))
}

func TestHostileSendSilentPutRecordsIsALostResponse(t *testing.T) {
	e, in := hostileEnv(t)
	url := kinesisBy(t, map[string]string{"DescribeStreamSummary": `{"StreamDescriptionSummary":{"StreamName":"s"}}`})
	code, sum, rejected := sendSummary(t, e, in, "--endpoint-url", url, "--retry-timeout", "800ms")
	if code != 1 || sum["sent"] != 0.0 || sum["failed"] != 1.0 || sum["possibleDuplicates"].(float64) < 1 {
		t.Fatalf("exit %d, summary %v; stderr:\n%s", code, sum, e.ErrOut)
	}
	if len(rejected) != 1 || rejected[0] != `{"n":1}` {
		t.Fatalf("reject file %q", rejected)
	}
	if !regexp.MustCompile(`in\.ndjson:1: gave up after \d+ attempts over .*: no answer: timed out after 800ms \(per-request limit\)`).MatchString(e.ErrOut.String()) {
		t.Errorf("stderr lacks the record's timeout:\n%s", e.ErrOut)
	}
}

func TestHostileSendUnconfirmedRecordsAreNotSent(t *testing.T) {
	tests := []struct {
		name, putRecords, reason string
	}{
		{"entries without shard and sequence number", `{"FailedRecordCount":0,"Records":[{}]}`, "answered without a shard ID and sequence number: delivery not confirmed"},
		{"empty object", `{}`, "PutRecords answered 0 results for 1 records"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, in := hostileEnv(t)
			url := kinesisBy(t, map[string]string{"DescribeStreamSummary": `{}`, "PutRecords": tt.putRecords})
			code, sum, rejected := sendSummary(t, e, in, "--endpoint-url", url, "--retry-timeout", "500ms")
			if code != 1 || sum["sent"] != 0.0 || sum["failed"] != 1.0 || sum["possibleDuplicates"].(float64) < 1 {
				t.Fatalf("exit %d, summary %v; stderr:\n%s", code, sum, e.ErrOut)
			}
			if len(rejected) != 1 || !strings.Contains(e.ErrOut.String(), tt.reason) {
				t.Fatalf("rejected %q; stderr:\n%s", rejected, e.ErrOut)
			}
		})
	}
}

// iam apply: a silent STS endpoint ends at --timeout with exit 1; an
// interrupt is 130.
func TestHostileIAMApplySilentEndpoint(t *testing.T) {
	e, _ := hostileEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	url := endpointtest.Silent(t)
	t.Setenv("AWS_ENDPOINT_URL_STS", url)
	t.Setenv("AWS_ENDPOINT_URL_IAM", url)

	code, _ := runBounded(t, context.Background(), e, 15*time.Second, "iam", "apply", "--dest", "d", "--timeout", "700ms")
	line := oneErrorLine(t, e.ErrOut.String())
	// The endpoint is named when the deadline comes during the request (it
	// may come earlier on a loaded machine, before the endpoint is resolved).
	if code != 1 || !regexp.MustCompile(`^STS GetCallerIdentity( at `+regexp.QuoteMeta(url)+`)?: timed out after 700ms \(--timeout\) with no answer`).MatchString(line) {
		t.Fatalf("exit %d, stderr %q", code, e.ErrOut)
	}

	e.Reset()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	if code, _ := runBounded(t, ctx, e, 15*time.Second, "iam", "apply", "--dest", "d"); code != 130 {
		t.Fatalf("exit %d after an interrupt, want 130; stderr %q", code, e.ErrOut)
	}
}

// TestHostileSignalChild is ldexport as main runs it, in a child process of
// TestHostileSIGINTIs130: the arguments come in LDEXPORT_TEST_ARGS.
func TestHostileSignalChild(t *testing.T) {
	args := os.Getenv("LDEXPORT_TEST_ARGS")
	if args == "" {
		t.Skip("only a child process of TestHostileSIGINTIs130")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := cmdtest.New(t)
	code := Execute(ctx, e.Factory, strings.Split(args, "\n"))
	stop()
	fmt.Fprint(os.Stderr, e.ErrOut.String())
	os.Exit(code)
}

// A real SIGINT while a call waits on an endpoint that never answers: exit 130.
func TestHostileSIGINTIs130(t *testing.T) {
	for _, name := range []string{"dest test", "dest check"} {
		t.Run(name, func(t *testing.T) {
			e, _ := hostileEnv(t)
			url := endpointtest.Silent(t)
			args := append([]string{"--config", e.StorePath, "--endpoint-url", url}, strings.Fields(name)...)
			args = append(args, "d")
			cmd := exec.Command(os.Args[0], "-test.run=^TestHostileSignalChild$")
			cmd.Env = append(os.Environ(), "LDEXPORT_TEST_ARGS="+strings.Join(args, "\n"))
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second) // the call is waiting by then
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("still running 15s after SIGINT")
			}
			if code := cmd.ProcessState.ExitCode(); code != 130 || !strings.Contains(stderr.String(), "interrupted") {
				t.Fatalf("exit %d after SIGINT, want 130; stderr:\n%s", code, stderr.String())
			}
		})
	}
}
