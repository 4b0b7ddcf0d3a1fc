package send_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/ingest/ingesttest"

	"github.com/ldexport/ldexport/pkg/cmd/root"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/ingest"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/kinesalite"
	"github.com/ldexport/ldexport/pkg/kinesisbackend"
)

type cli struct {
	code           int
	stdout, stderr string
}

func ldexport(t *testing.T, stdin []byte, args ...string) cli {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.Write(stdin)
	f := cmdutil.NewFactory(ios, cmdutil.BuildInfo{Version: "test"})
	code := root.Execute(context.Background(), f, args)
	return cli{code, out.String(), errOut.String()}
}

func setup(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("LDEXPORT_ENDPOINT_URL", "")
	t.Setenv("LDEXPORT_CONFIG", filepath.Join(t.TempDir(), "config.yaml"))
}

// events returns n distinct ~400-byte exported events.
var events = ingesttest.Events

// assertStored checks the stream holds exactly the lines: same multiset, bytes intact.
func assertStored(t *testing.T, e kinesisbackend.Kinesis, stream string, lines []string) {
	t.Helper()
	recs := kinesalite.ReadStream(t, e.Client, stream)
	for _, r := range recs {
		if len(r.PartitionKey) == 0 || len(r.PartitionKey) > 256 {
			t.Fatalf("partition key %q", r.PartitionKey)
		}
	}
	assertSameRecords(t, recs, lines)
}

func summary(t *testing.T, c cli) ingest.Summary {
	t.Helper()
	var s ingest.Summary
	if err := json.Unmarshal([]byte(c.stdout), &s); err != nil {
		t.Fatalf("stdout is not the summary JSON: %v\n%s\nstderr: %s", err, c.stdout, c.stderr)
	}
	for _, k := range []string{"records", "sent", "failed", "invalid", "bytes", "requests", "retries", "throttled", "possibleDuplicates", "durationSeconds", "recordsPerSecond"} {
		if !strings.Contains(c.stdout, `"`+k+`"`) {
			t.Errorf("summary lacks %q", k)
		}
	}
	if s.Records != s.Sent+s.Failed+s.Invalid {
		t.Fatalf("records %d != sent %d + failed %d + invalid %d", s.Records, s.Sent, s.Failed, s.Invalid)
	}
	return s
}

func TestSendToLocalKinesis(t *testing.T) {
	kinesisbackend.Each(t, testSendToLocalKinesis)
}

func testSendToLocalKinesis(t *testing.T, backend kinesisbackend.Backend) {
	setup(t)
	e := backend.Start(t, "files:2", "stdin:3", "gz:1", "dest:2")
	t.Chdir(t.TempDir()) // after Start, which finds tools/ from the working directory
	ev := events(2600)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.ndjson"), filepath.Join(dir, "b.ndjson.gz")
	if err := os.WriteFile(a, []byte("\xef\xbb\xbf"+strings.Join(ev[:1000], "\r\n")+"\r\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write([]byte(strings.Join(ev[1000:], "\n")))
	zw.Close()
	if err := os.WriteFile(b, zb.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("files and gzip", func(t *testing.T) {
		c := ldexport(t, nil, "send", a, b, "--stream", "files", "--endpoint-url", e.Endpoint, "-o", "json")
		if c.code != 0 {
			t.Fatalf("exit %d: %s", c.code, c.stderr)
		}
		if s := summary(t, c); s.Sent != 2600 || s.Records != 2600 {
			t.Fatalf("%+v", s)
		}
		assertStored(t, e, "files", ev)
	})
	t.Run("stdin", func(t *testing.T) {
		c := ldexport(t, []byte(strings.Join(ev, "\n")), "send", "--stream", "stdin", "--endpoint-url", e.Endpoint, "--partition-key", "event.contextKeys.user")
		if c.code != 0 {
			t.Fatalf("exit %d: %s", c.code, c.stderr)
		}
		if !strings.Contains(c.stderr, "Delivered     2600 of 2600 records") {
			t.Fatalf("stderr: %s", c.stderr)
		}
		assertStored(t, e, "stdin", ev)
		for _, r := range kinesalite.ReadStream(t, e.Client, "stdin") {
			if !strings.HasPrefix(r.PartitionKey, "user-") {
				t.Fatalf("partition key %q, want the user context key", r.PartitionKey)
			}
		}
	})
	t.Run("gzip on stdin", func(t *testing.T) {
		c := ldexport(t, zb.Bytes(), "send", "-", "--stream", "gz", "--endpoint-url", e.Endpoint, "-o", "json")
		if c.code != 0 {
			t.Fatalf("exit %d: %s", c.code, c.stderr)
		}
		assertStored(t, e, "gz", ev[1000:])
	})
	t.Run("dest with stored endpoint", func(t *testing.T) {
		c := ldexport(t, nil, "dest", "create", "local", "--env", "test", "--stream", "dest", "--role-arn", "arn:aws:iam::123456789012:role/ld", "--endpoint-url", e.Endpoint)
		if c.code != 0 {
			t.Fatalf("dest create: exit %d: %s", c.code, c.stderr)
		}
		c = ldexport(t, nil, "send", a, "--dest", "local", "-o", "json")
		if c.code != 0 {
			t.Fatalf("exit %d: %s", c.code, c.stderr)
		}
		assertStored(t, e, "dest", ev[:1000])
	})
}

func TestSendBadInput(t *testing.T) {
	kinesisbackend.Each(t, testSendBadInput)
}

func testSendBadInput(t *testing.T, backend kinesisbackend.Backend) {
	setup(t)
	e := backend.Start(t, "fail:1", "skip:1")
	t.Chdir(t.TempDir())
	ev := events(30)

	t.Run("invalid line fails after delivering what came before", func(t *testing.T) {
		in := append(append(append([]string(nil), ev[:20]...), `{"event":`), ev[20:]...)
		c := ldexport(t, []byte(strings.Join(in, "\n")), "send", "--stream", "fail", "--endpoint-url", e.Endpoint)
		if c.code != 2 {
			t.Fatalf("exit %d, want 2: %s", c.code, c.stderr)
		}
		lastLine := strings.TrimSpace(c.stderr[strings.LastIndex(strings.TrimSpace(c.stderr), "\n")+1:])
		if lastLine != "-:21: invalid JSON at byte 9: unexpected end of JSON input" {
			t.Fatalf("last stderr line %q", lastLine)
		}
		assertStored(t, e, "fail", ev[:20])
	})
	t.Run("skip writes the reject file", func(t *testing.T) {
		rejects := filepath.Join(t.TempDir(), "rejects.ndjson")
		in := append(append(append([]string(nil), ev[:20]...), `not json`, `["array"]`), ev[20:]...)
		c := ldexport(t, []byte(strings.Join(in, "\n")), "send", "--stream", "skip", "--endpoint-url", e.Endpoint, "--on-invalid", "skip", "--reject-file", rejects, "-o", "json")
		if c.code != 0 {
			t.Fatalf("exit %d: %s", c.code, c.stderr)
		}
		if s := summary(t, c); s.Invalid != 2 || s.Sent != 30 || s.Records != 32 {
			t.Fatalf("%+v", s)
		}
		got, _ := os.ReadFile(rejects)
		if string(got) != "not json\n[\"array\"]\n" {
			t.Fatalf("reject file %q", got)
		}
		for _, w := range []string{"-:21: invalid JSON", "-:22: not a JSON object"} {
			if !strings.Contains(c.stderr, w) {
				t.Errorf("stderr lacks %q: %s", w, c.stderr)
			}
		}
		assertStored(t, e, "skip", ev)
	})
	t.Run("missing stream", func(t *testing.T) {
		c := ldexport(t, []byte(ev[0]), "send", "--stream", "nope", "--endpoint-url", e.Endpoint)
		want := "Kinesis DescribeStreamSummary on stream \"nope\" at " + e.Endpoint + ": not found (ResourceNotFoundException: Stream nope under account 000000000000 not found.); fix: check the name and the endpoint, or create it there\n"
		if c.code != 1 || c.stderr != want {
			t.Fatalf("exit %d, stderr %q", c.code, c.stderr)
		}
		if ents, _ := os.ReadDir("."); len(ents) != 0 {
			t.Fatalf("files created: %v", ents)
		}
	})
}
