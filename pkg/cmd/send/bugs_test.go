package send

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/ingest"
	"github.com/ldexport/ldexport/pkg/ingest/ingesttest"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/output"
)

// TestInterruptedDryRunDeliversNothing: a dry run stopped by an interrupt
// words its outcome as the finished dry run does ("valid", "nothing
// sent"), never "delivered", in the error line and the way to go on. The old code ended with "interrupted: 3 of 3 records delivered".
func TestInterruptedDryRunDeliversNothing(t *testing.T) {
	for _, format := range []output.Format{output.JSON, output.Table} {
		t.Run(string(format), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ios, _, out, errOut := iostreams.Test()
			idleStdin(t, ios, 3, cancel)
			opts := &SendOptions{IO: ios, Globals: &cmdutil.GlobalOptions{Output: format}, DryRun: true}
			err := runSend(ctx, opts, nil)
			if cmdutil.ExitCode(err) != 130 {
				t.Fatalf("err = %v (exit %d), want 130", err, cmdutil.ExitCode(err))
			}
			all := err.Error() + "\n" + out.String() + errOut.String()
			if strings.Contains(strings.ToLower(all), "deliver") || strings.Contains(all, "To send them") {
				t.Errorf("a dry run says it delivered or sends:\n%s", all)
			}
			if !strings.Contains(errOut.String(), "To check them (dry run):") {
				t.Errorf("no way to go on with the dry run:\n%s", errOut.String())
			}
			if format == output.Table {
				if err.Error() != "interrupted" || !strings.Contains(errOut.String(), "Dry run       3 of 3 records valid") {
					t.Errorf("err %q, stderr:\n%s", err, errOut.String())
				}
				return
			}
			want := "interrupted: dry run, 3 of 3 records valid; nothing sent"
			var s ingest.Summary
			if jerr := json.Unmarshal(out.Bytes(), &s); jerr != nil || err.Error() != want || s.Sent != 3 || s.Requests != 0 {
				t.Errorf("err %q, summary %+v (%v), want the error %q", err, s, jerr, want)
			}
		})
	}
}

// failingLookup is a stream whose DescribeStreamSummary fails with err.
type failingLookup struct {
	ingesttest.Stream
	err error
}

func (f failingLookup) DescribeStreamSummary(context.Context, *kinesis.DescribeStreamSummaryInput, ...func(*kinesis.Options)) (*kinesis.DescribeStreamSummaryOutput, error) {
	return nil, f.err
}

// TestJSONSummaryWhenTheStreamLookupFails: with -o json a run that stops
// before reading (the stream not found, the endpoint not reachable within
// --retry-timeout) still prints a summary a script can parse: zero counts,
// every input unread from line 1, and "error", the line stderr gets; the
// exit code is unchanged. The old code printed nothing on stdout.
func TestJSONSummaryWhenTheStreamLookupFails(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	writeFile(t, in, strings.Join(lines(5), "\n")+"\n")
	notFound := &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Stream s not found."}
	// An endpoint that accepts connections and never answers.
	quiet := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-quiet:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(silent.Close)
	t.Cleanup(func() { close(quiet) })
	unreachable := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(silent.URL), Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
	tests := []struct {
		name    string
		k       ingest.Kinesis
		timeout time.Duration
		want    string
	}{
		{"stream not found", failingLookup{ingesttest.NewStream(&ingesttest.Memory{}, 0), notFound}, time.Minute, `DescribeStreamSummary on stream "s"`},
		{"endpoint silent past --retry-timeout", unreachable, 300 * time.Millisecond, "--retry-timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, format := range []output.Format{output.JSON, output.Table} {
				ios, _, out, errOut := iostreams.Test()
				opts := &SendOptions{IO: ios, Globals: &cmdutil.GlobalOptions{Output: format}, Files: []string{in}, RetryTimeout: tt.timeout}
				err := runSend(context.Background(), opts, tt.k)
				if cmdutil.ExitCode(err) != 1 || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("%s: err = %v (exit %d), want one line with %q, exit 1", format, err, cmdutil.ExitCode(err), tt.want)
				}
				if format == output.Table {
					if out.Len() != 0 || errOut.Len() != 0 {
						t.Errorf("table: printed more than the error line:\n%s%s", out, errOut)
					}
					continue
				}
				var s ingest.Summary
				if jerr := json.Unmarshal(out.Bytes(), &s); jerr != nil {
					t.Fatalf("stdout is no JSON summary (%v):\n%s", jerr, out)
				}
				want := ingest.Summary{Unread: []ingest.Unread{{File: in, FromLine: 1}}, Error: err.Error()}
				if s.Records != 0 || s.Sent != 0 || len(s.Unread) != 1 || s.Unread[0] != want.Unread[0] || s.Error != want.Error {
					t.Errorf("summary %+v, want zero counts, %+v unread and the error %q", s, want.Unread, want.Error)
				}
				if errOut.Len() != 0 {
					t.Errorf("stderr besides the error line:\n%s", errOut)
				}
			}
		})
	}
}

// TestWritePathsCheckedFirst: a --checkpoint or --reject-file that is a
// directory, or whose directory does not exist, is one line naming the flag
// and the path, exit 2, before Kinesis is asked anything, and nothing is
// created (the old code made DIR.lock next to a --checkpoint directory and
// said "checkpoint /tmp: read /tmp: is a directory; delete it to start over").
func TestWritePathsCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	v, sub := filepath.Join(dir, "v.ndjson"), filepath.Join(dir, "sub")
	writeFile(t, v, "{}\n")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nope", "ck.json")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--checkpoint", sub}, "--checkpoint " + sub + ": is a directory; give a file path"},
		{[]string{"--checkpoint", sub + "/"}, "--checkpoint " + sub + "/: is a directory; give a file path"},
		{[]string{"--reject-file", sub}, "--reject-file " + sub + ": is a directory; give a file path"},
		{[]string{"--checkpoint", missing}, "--checkpoint " + missing + ": directory " + filepath.Dir(missing) + " does not exist; create it, or give a path in an existing directory"},
		{[]string{"--reject-file", missing}, "--reject-file " + missing + ": directory " + filepath.Dir(missing) + " does not exist"},
		{[]string{"--reject-file", filepath.Join(v, "r")}, "--reject-file " + filepath.Join(v, "r") + ": " + v + " is not a directory"},
	}
	for _, tt := range tests {
		out, err := runBeforeKinesis(t, output.Table, append([]string{v, "--stream", "s"}, tt.args...))
		if cmdutil.ExitCode(err) != 2 || err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: err = %v (exit %d), want exit 2, one line starting %q", tt.args, err, cmdutil.ExitCode(err), tt.want)
		}
		if out != "" {
			t.Errorf("%v: stdout %q", tt.args, out)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("files created: %v", entries)
	}
	if _, err := os.Stat(sub + ".lock"); err == nil {
		t.Errorf("a lock file was made next to the directory")
	}
}
