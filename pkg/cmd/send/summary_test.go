package send

import (
	"context"
	"github.com/ldexport/ldexport/pkg/ingest"
	"github.com/ldexport/ldexport/pkg/ingest/ingesttest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/golden"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/output"
)

// volatile are the parts of a summary that change from run to run: timings,
// and request and retry counts that depend on how records fell into batches.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`in \d+\.\ds, \d+ records/s`), "in 0.0s, 0 records/s"},
	{regexp.MustCompile(`(Requests +)\d+, \d+ retries`), "${1}N, N retries"},
	{regexp.MustCompile(`gave up after \d+ attempts over [0-9.]+m?s`), "gave up after N attempts over 0ms"},
	{regexp.MustCompile(`("(requests|retries)": )\d+`), "${1}0"},
	{regexp.MustCompile(`("(durationSeconds|recordsPerSecond)": )[0-9.e+-]+`), "${1}0"},
}

// TestSummaryGolden runs send to the end in four ways, with the text
// summary and with -o json, and compares what the user reads (the JSON on
// stdout; on stderr the summary or notes, then the error line main prints)
// with testdata/send/summary-*.txt and summary-*-json.txt.
func TestSummaryGolden(t *testing.T) {
	ls := lines(2000)
	invalid := strings.Join(ls[:3], "\n") + "\nnot json\n" + strings.Join(ls[3:10], "\n") + "\n[1,2]\n"
	tests := []struct {
		name       string
		input      string
		api        func() *ingesttest.Scripted
		onInvalid  string
		checkpoint bool
		wantCode   int
	}{
		{"success", strings.Join(ls[:1200], "\n"), func() *ingesttest.Scripted { return &ingesttest.Scripted{} }, "fail", false, 0},
		{"rejects", invalid, func() *ingesttest.Scripted { return &ingesttest.Scripted{Failing: map[int]bool{4: true}} }, "skip", false, 1},
		{"interrupt", strings.Join(ls, "\n"), func() *ingesttest.Scripted {
			return &ingesttest.Scripted{Delay: 50 * time.Millisecond, InterruptAt: 1000}
		}, "fail", false, 130},
		{"interrupt-checkpoint", strings.Join(ls, "\n"), func() *ingesttest.Scripted {
			return &ingesttest.Scripted{Delay: 50 * time.Millisecond, InterruptAt: 1000}
		}, "fail", true, 130},
	}
	for _, tt := range tests {
		for _, format := range []output.Format{output.Table, output.JSON} {
			name := tt.name
			if format == output.JSON {
				name += "-json"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				input := filepath.Join(dir, "events.ndjson")
				if err := os.WriteFile(input, []byte(tt.input), 0o600); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				api := tt.api()
				api.Cancel = cancel
				ios, _, out, errOut := iostreams.Test()
				opts := &SendOptions{
					IO: ios, Globals: &cmdutil.GlobalOptions{Output: format}, Now: time.Now,
					Stream: "ld-events", Files: []string{input},
					OnInvalid: tt.onInvalid, RejectFile: filepath.Join(dir, "rejects.ndjson"),
					RetryTimeout: 300 * time.Millisecond, Concurrency: 1, shutdownTimeout: 100 * time.Millisecond,
				}
				if tt.checkpoint {
					opts.Checkpoint = filepath.Join(dir, "ck.json")
				}
				err := runSend(ctx, opts, ingesttest.NewStream(api, 0))
				if code := cmdutil.ExitCode(err); code != tt.wantCode {
					t.Fatalf("exit %d (%v), want %d; stderr:\n%s", code, err, tt.wantCode, errOut)
				}
				screen := out.String() + errOut.String()
				if err != nil {
					screen += err.Error() + "\n"
				}
				for _, v := range volatile {
					screen = v.re.ReplaceAllString(screen, v.with)
				}
				screen = strings.ReplaceAll(screen, dir, "$DIR")
				golden.Assert(t, "testdata/send/summary-"+name+".txt", []byte(screen))
			})
		}
	}
}

// TestProgressOnlyWhenItHelps: a send shorter than the delay draws no bar,
// --quiet draws none (and no summary when everything was delivered), and a
// stderr that is not a terminal never gets one.
func TestProgressOnlyWhenItHelps(t *testing.T) {
	tests := []struct {
		name        string
		tty, quiet  bool
		delay       time.Duration
		wantBar     bool
		wantSummary bool
	}{
		{"terminal", true, false, 0, true, true},
		{"shorter than the delay", true, false, time.Minute, false, true},
		{"quiet", true, true, 0, false, false},
		{"not a terminal", false, false, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, in, _, errOut := iostreams.Test()
			ios.SetStderrTTY(tt.tty)
			in.WriteString(strings.Join(lines(3000), "\n"))
			opts := &SendOptions{
				IO: ios, Globals: &cmdutil.GlobalOptions{Output: output.Table}, Now: time.Now,
				Concurrency: 1, Quiet: tt.quiet, progressDelay: tt.delay,
			}
			if err := runSend(context.Background(), opts, ingesttest.NewStream(&ingesttest.Scripted{Delay: 100 * time.Millisecond}, 0)); err != nil {
				t.Fatal(err)
			}
			got := errOut.String()
			if bar := barFrame.MatchString(got); bar != tt.wantBar {
				t.Errorf("bar drawn: %v, want %v:\n%q", bar, tt.wantBar, got)
			}
			if summary := strings.Contains(got, "Delivered     3000 of 3000 records"); summary != tt.wantSummary {
				t.Errorf("summary printed: %v, want %v:\n%q", summary, tt.wantSummary, got)
			}
		})
	}
}

// TestSummaryColourFollowsStderr: the text summary is coloured when
// stderr's colour is on, plain otherwise.
func TestSummaryColourFollowsStderr(t *testing.T) {
	s := ingest.Summary{Records: 3, Sent: 2, Invalid: 1, Stream: "s", RejectFile: "r.ndjson", RejectLines: 1}
	for _, colour := range []bool{false, true} {
		ios, _, _, errOut := iostreams.Test()
		ios.SetColorEnabled(colour)
		opts := &SendOptions{IO: ios, Globals: &cmdutil.GlobalOptions{Output: output.Table}, Stream: "s"}
		if err := report(opts, &s, nil); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(errOut.String(), "\x1b["); got != colour {
			t.Errorf("colour on: %v, escape codes in the summary: %v\n%q", colour, got, errOut)
		}
		if !strings.Contains(errOut.String(), "1 record: 1 invalid, written to r.ndjson") {
			t.Errorf("summary:\n%s", errOut)
		}
	}
}
