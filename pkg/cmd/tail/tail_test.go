package tail_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/cmdtest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/ldexport/ldexport/pkg/cmd/root"
	"github.com/ldexport/ldexport/pkg/cmd/tail"
	"github.com/ldexport/ldexport/pkg/kinesisbackend"
	"github.com/ldexport/ldexport/pkg/streamread"
)

func TestNewCmdTailFlags(t *testing.T) {
	ts := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	cmdtest.RunFlagTests(t, tail.NewCmdTail, []cmdtest.FlagTest[tail.TailOptions]{
		{Args: "--stream s", Want: tail.TailOptions{Stream: "s", From: streamread.TrimHorizon}},
		{Args: "--dest prod --from latest --grep LaunchDarkly --max 3 --follow --timeout 10s",
			Want: tail.TailOptions{Dest: "prod", From: streamread.Position{Type: types.ShardIteratorTypeLatest}, Grep: "LaunchDarkly", Max: 3, Follow: true, Timeout: 10 * time.Second}},
		{Args: "--stream s --from 2026-11-26T10:00:00Z", Want: tail.TailOptions{Stream: "s", From: streamread.Position{Type: types.ShardIteratorTypeAtTimestamp, Timestamp: ts}}},
		{Args: "--stream s --raw", Want: tail.TailOptions{Stream: "s", From: streamread.TrimHorizon, Raw: true}},
		{Args: "", WantErr: "exactly one of --dest NAME or --stream S"},
		{Args: "--dest a --stream b", WantErr: "exactly one of --dest NAME or --stream S"},
		{Args: "--stream a/b", WantErr: "--stream: invalid stream name"},
		{Args: "--dest a/b", WantErr: "--dest: invalid destination name"},
		{Args: "--stream s --from yesterday", WantErr: "--from: invalid position"},
		{Args: "--stream s --max -1", WantErr: "--max: must be 0"},
		{Args: "--stream s --timeout -1s", WantErr: "--timeout: must not be negative"},
		{Args: "--stream s extra", WantErr: "unexpected argument"},
	})
}

func TestLine(t *testing.T) {
	tests := []struct {
		in, want string
		quoted   bool
	}{
		{`{"a":1}`, `{"a":1}`, false},
		{"{\"a\":1}\n", `{"a":1}`, false},
		{"{\"a\":1}\r\n", `{"a":1}`, false},
		{"{\n  \"a\": \"x<y\"\n}", `{"a":"x<y"}`, false},
		{"plain text", "plain text", false},
		{"two\nlines", `"two\nlines"`, true},
		{"", "", false},
	}
	for _, tt := range tests {
		got, quoted := tail.Line([]byte(tt.in))
		if string(got) != tt.want || quoted != tt.quoted {
			t.Errorf("Line(%q) = %q, %v; want %q, %v", tt.in, got, quoted, tt.want, tt.quoted)
		}
	}
}

// run executes ldexport with args against a fresh store and returns stdout,
// stderr and the exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmdtest.EmulatorCredentials(t, "local")
	return cmdtest.Execute(root.Execute, nil, args...)
}

func putRecords(t *testing.T, c *kinesis.Client, stream string, data []string) {
	t.Helper()
	for i, d := range data {
		if _, err := c.PutRecord(context.Background(), &kinesis.PutRecordInput{StreamName: aws.String(stream), PartitionKey: aws.String(fmt.Sprintf("user-%d", i*104729)), Data: []byte(d)}); err != nil {
			t.Fatalf("PutRecord: %v", err)
		}
	}
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func TestTail(t *testing.T) {
	kinesisbackend.Each(t, testTail)
}

func testTail(t *testing.T, b kinesisbackend.Backend) {
	e := b.Start(t, "four:4", "empty:2")
	var sent []string
	for i := range 200 {
		kind := []string{"feature", "custom", "identify", "summary"}[i%4]
		sent = append(sent, fmt.Sprintf(`{"project":"default","environment":"test","event":{"kind":%q,"n":%d},"version":1}`, kind, i))
	}
	putRecords(t, e.Client, "four", sent)
	config := filepath.Join(t.TempDir(), "config.yaml")
	base := []string{"--config", config, "--endpoint-url", e.Endpoint, "tail"}

	t.Run("every record of every shard", func(t *testing.T) {
		out, stderr, code := run(t, append(base, "--stream", "four")...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		got := lines(out)
		want := append([]string(nil), sent...)
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("tail printed %d lines, want the %d records put (as a multiset)", len(got), len(want))
		}
	})
	t.Run("max", func(t *testing.T) {
		out, stderr, code := run(t, append(base, "--stream", "four", "--max", "7")...)
		if code != 0 || len(lines(out)) != 7 {
			t.Fatalf("exit %d, %d lines, want 0 and 7: %s", code, len(lines(out)), stderr)
		}
	})
	t.Run("grep", func(t *testing.T) {
		out, _, code := run(t, append(base, "--stream", "four", "--grep", `"kind":"identify"`)...)
		got := lines(out)
		if code != 0 || len(got) != 50 {
			t.Fatalf("exit %d, %d lines, want 0 and 50", code, len(got))
		}
		for _, l := range got {
			if !strings.Contains(l, `"identify"`) {
				t.Errorf("grep printed %s", l)
			}
		}
	})
	t.Run("from latest prints nothing old", func(t *testing.T) {
		out, stderr, code := run(t, append(base, "--stream", "four", "--from", "latest")...)
		if code != 0 || out != "" {
			t.Fatalf("exit %d, stdout %q, want 0 and nothing: %s", code, out, stderr)
		}
	})
	t.Run("from a time before the records prints them all", func(t *testing.T) {
		out, _, code := run(t, append(base, "--stream", "four", "--from", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))...)
		if code != 0 || len(lines(out)) != 200 {
			t.Fatalf("exit %d, %d lines, want 0 and 200", code, len(lines(out)))
		}
	})
	t.Run("from a future time", func(t *testing.T) {
		_, stderr, code := run(t, append(base, "--stream", "four", "--from", time.Now().Add(time.Hour).UTC().Format(time.RFC3339))...)
		if code != 2 || !strings.Contains(stderr, "is in the future") {
			t.Fatalf("exit %d, stderr %q, want 2", code, stderr)
		}
	})
	t.Run("bad from", func(t *testing.T) {
		_, stderr, code := run(t, append(base, "--stream", "four", "--from", "yesterday")...)
		if code != 2 || !strings.HasPrefix(stderr, "Error: --from: invalid position") {
			t.Fatalf("exit %d, stderr %q, want 2 and the --from error", code, stderr)
		}
	})
	t.Run("empty stream", func(t *testing.T) {
		out, _, code := run(t, append(base, "--stream", "empty")...)
		if code != 0 || out != "" {
			t.Fatalf("exit %d, stdout %q", code, out)
		}
	})
	t.Run("missing stream", func(t *testing.T) {
		_, stderr, code := run(t, append(base, "--stream", "nope")...)
		if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "ResourceNotFoundException") {
			t.Fatalf("exit %d, stderr %q, want 1 and one line", code, stderr)
		}
	})
	t.Run("unknown destination", func(t *testing.T) {
		_, stderr, code := run(t, append(base, "--dest", "nope")...)
		if code != 1 || strings.Count(stderr, "\n") != 1 {
			t.Fatalf("exit %d, stderr %q, want 1 and one line", code, stderr)
		}
	})
	t.Run("follow ends at the timeout", func(t *testing.T) {
		start := time.Now()
		out, stderr, code := run(t, append(base, "--stream", "empty", "--follow", "--timeout", "1500ms")...)
		if code != 0 || out != "" {
			t.Fatalf("exit %d, stdout %q: %s", code, out, stderr)
		}
		if d := time.Since(start); d < 1500*time.Millisecond || d > 10*time.Second {
			t.Errorf("follow with --timeout 1500ms took %v", d)
		}
	})
}

// kinesalite 3.3.3 never answers GetShardIterator AT_TIMESTAMP on a shard
// with no record at or after the time, so this stream has one shard and
// records on both sides of the time.
func TestTailFromTimestamp(t *testing.T) {
	kinesisbackend.Each(t, func(t *testing.T, b kinesisbackend.Backend) {
		e := b.Start(t, "one:1")
		putRecords(t, e.Client, "one", []string{`{"old":1}`, `{"old":2}`})
		time.Sleep(20 * time.Millisecond)
		from := time.Now().UTC().Format(time.RFC3339Nano)
		time.Sleep(20 * time.Millisecond)
		putRecords(t, e.Client, "one", []string{`{"new":1}`, `{"new":2}`})
		out, stderr, code := run(t, "--config", filepath.Join(t.TempDir(), "c.yaml"), "--endpoint-url", e.Endpoint, "tail", "--stream", "one", "--from", from)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if want := "{\"new\":1}\n{\"new\":2}\n"; out != want {
			t.Errorf("tail --from %s printed %q, want %q", from, out, want)
		}
	})
}

func TestTailDestination(t *testing.T) {
	kinesisbackend.Each(t, testTailDestination)
}

func testTailDestination(t *testing.T, b kinesisbackend.Backend) {
	e := b.Start(t, "ld-events:2")
	putRecords(t, e.Client, "ld-events", []string{`{"a":1}`, "not json\nwith a break"})
	config := filepath.Join(t.TempDir(), "config.yaml")
	if _, stderr, code := run(t, "--config", config, "--endpoint-url", e.Endpoint, "dest", "create", "local", "--env", "test", "--stream", "ld-events",
		"--role-arn", "arn:aws:iam::123456789012:role/ld-export", "--region", "us-east-1"); code != 0 {
		t.Fatalf("dest create: exit %d: %s", code, stderr)
	}
	// The endpoint comes from the destination now, not from a flag.
	out, stderr, code := run(t, "--config", config, "tail", "--dest", "local")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := lines(out)
	sort.Strings(got)
	if want := []string{`"not json\nwith a break"`, `{"a":1}`}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("printed %q, want %q", got, want)
	}
	if !strings.Contains(stderr, "is not JSON and holds a line break") {
		t.Errorf("no warning on stderr for the quoted record: %q", stderr)
	}
}

// A fake Kinesis whose only shard always answers "1 s behind the tip" never
// drains: without --follow, --timeout ends tail with exit 1.
func TestTailTimeoutBeforeDrained(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch target := r.Header.Get("X-Amz-Target"); {
		case strings.HasSuffix(target, ".ListShards"):
			fmt.Fprint(w, `{"Shards":[{"ShardId":"shardId-000000000000","HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"1"},"SequenceNumberRange":{"StartingSequenceNumber":"1"}}]}`)
		case strings.HasSuffix(target, ".GetShardIterator"):
			fmt.Fprint(w, `{"ShardIterator":"it"}`)
		case strings.HasSuffix(target, ".GetRecords"):
			fmt.Fprint(w, `{"Records":[],"NextShardIterator":"it","MillisBehindLatest":1000}`)
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"__type":"UnknownOperationException","message":%q}`, target)
		}
	}))
	defer fake.Close()
	out, stderr, code := run(t, "--config", filepath.Join(t.TempDir(), "c.yaml"), "--endpoint-url", fake.URL, "tail", "--stream", "s", "--timeout", "700ms")
	if code != 1 || out != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "--timeout 700ms reached before every shard of stream s was drained (0 records printed)") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}
