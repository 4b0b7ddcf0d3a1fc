package send

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/golden"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/output"
)

// scriptedKinesis answers each record by its line number (the "n" field of
// lines()): accept, fail alone with InternalFailure, or, for the first
// record at or past interruptAt, interrupt the run (cancel) and fail the
// records from there on. Each answer waits delay, so the reader has read
// every line before anything is decided.
type scriptedKinesis struct {
	mu          sync.Mutex
	delay       time.Duration
	failing     map[int]bool // always fail these (given up after the retry budget)
	interruptAt int          // 0: never
	cancel      context.CancelFunc
	stored      int
}

var lineNumber = regexp.MustCompile(`"n":(\d+)}`)

func (k *scriptedKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	time.Sleep(k.delay)
	k.mu.Lock()
	defer k.mu.Unlock()
	out := &kinesis.PutRecordsOutput{}
	for _, e := range in.Records {
		var n int
		fmt.Sscan(lineNumber.FindStringSubmatch(string(e.Data))[1], &n)
		if k.failing[n] || (k.interruptAt > 0 && n >= k.interruptAt) {
			if k.interruptAt > 0 && n >= k.interruptAt {
				k.cancel()
			}
			out.Records = append(out.Records, types.PutRecordsResultEntry{ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("scripted")})
			out.FailedRecordCount = aws.Int32(aws.ToInt32(out.FailedRecordCount) + 1)
			continue
		}
		k.stored++
		out.Records = append(out.Records, types.PutRecordsResultEntry{SequenceNumber: aws.String("1"), ShardId: aws.String("shardId-000000000000")})
	}
	return out, nil
}

// volatile are the parts of a summary that change from run to run: timings,
// and request and retry counts that depend on how records fell into batches.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`in \d+\.\ds, \d+ records/s`), "in 0.0s, 0 records/s"},
	{regexp.MustCompile(`(Requests +)\d+, \d+ retries`), "${1}N, N retries"},
	{regexp.MustCompile(`gave up after \d+ attempts over [0-9.]+m?s`), "gave up after N attempts over 0ms"},
}

// TestSummaryGolden runs send to the end in four ways and compares what
// the user reads on stderr (the summary, then the error line main prints)
// with testdata/send/summary-*.txt.
func TestSummaryGolden(t *testing.T) {
	ls := lines(2000)
	invalid := strings.Join(ls[:3], "\n") + "\nnot json\n" + strings.Join(ls[3:10], "\n") + "\n[1,2]\n"
	tests := []struct {
		name       string
		input      string
		api        *scriptedKinesis
		onInvalid  string
		checkpoint bool
		wantCode   int
	}{
		{"success", strings.Join(ls[:1200], "\n"), &scriptedKinesis{}, "fail", false, 0},
		{"rejects", invalid, &scriptedKinesis{failing: map[int]bool{4: true}}, "skip", false, 1},
		{"interrupt", strings.Join(ls, "\n"), &scriptedKinesis{delay: 50 * time.Millisecond, interruptAt: 1000}, "fail", false, 130},
		{"interrupt-checkpoint", strings.Join(ls, "\n"), &scriptedKinesis{delay: 50 * time.Millisecond, interruptAt: 1000}, "fail", true, 130},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			input := filepath.Join(dir, "events.ndjson")
			if err := os.WriteFile(input, []byte(tt.input), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			tt.api.cancel = cancel
			ios, _, _, errOut := iostreams.Test()
			opts := &SendOptions{
				Factory:   &cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{Output: output.Table}, Now: time.Now},
				Files:     []string{input},
				OnInvalid: tt.onInvalid, RejectFile: filepath.Join(dir, "rejects.ndjson"),
				RetryTimeout: 300 * time.Millisecond, Concurrency: 1, shutdownTimeout: 100 * time.Millisecond,
			}
			if tt.checkpoint {
				opts.Checkpoint = filepath.Join(dir, "ck.json")
			}
			in, err := openInputs(opts.Files, ios.In)
			if err != nil {
				t.Fatal(err)
			}
			defer in.close()
			err = run(ctx, opts, target{stream: "ld-events", region: "us-east-1"}, in, tt.api, 1<<20)
			if code := cmdutil.ExitCode(err); code != tt.wantCode {
				t.Fatalf("exit %d (%v), want %d; stderr:\n%s", code, err, tt.wantCode, errOut)
			}
			screen := errOut.String()
			if err != nil {
				screen += err.Error() + "\n"
			}
			for _, v := range volatile {
				screen = v.re.ReplaceAllString(screen, v.with)
			}
			screen = strings.ReplaceAll(screen, dir, "$DIR")
			golden.Assert(t, "testdata/send/summary-"+tt.name+".txt", []byte(screen))
		})
	}
}

// TestSummaryCountsEachRecordOnce checks the JSON summary after an
// interrupt with and without a checkpoint: the records not delivered are
// either left for the next run or in the reject file, never both, and
// failed is their sum.
func TestSummaryCountsEachRecordOnce(t *testing.T) {
	for _, withCheckpoint := range []bool{false, true} {
		dir := t.TempDir()
		input := filepath.Join(dir, "events.ndjson")
		if err := os.WriteFile(input, []byte(strings.Join(lines(2000), "\n")), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		api := &scriptedKinesis{delay: 20 * time.Millisecond, interruptAt: 1000, cancel: cancel}
		opts := SendOptions{Files: []string{input}, RejectFile: filepath.Join(dir, "rejects.ndjson")}
		if withCheckpoint {
			opts.Checkpoint = filepath.Join(dir, "ck.json")
		}
		r := runFiles(t, ctx, opts, api)
		cancel()
		s := r.summary
		if s.Sent != 1000 || s.Records != 2000 || s.Failed != 1000 || s.Failed != s.GivenUp+s.Stopped+s.LeftForNextRun {
			t.Fatalf("checkpoint %v: %+v", withCheckpoint, s)
		}
		if withCheckpoint && (s.LeftForNextRun != 1000 || s.RejectFile != "") || !withCheckpoint && (s.Stopped != 1000 || s.RejectFile == "") {
			t.Errorf("checkpoint %v: %+v", withCheckpoint, s)
		}
	}
}

func TestProgressLine(t *testing.T) {
	tests := []struct {
		name     string
		p        progress
		bps, rps float64
		rateOK   bool
		want     string
	}{
		{"known size, no rate yet", progress{settled: 1 << 20, total: 4 << 20, sent: 2500, retries: 3, throttled: 2, rejected: 1}, 0, 0, false,
			"[██████░░░░░░░░░░░░░░░░░░]  25% 1.0 MiB/4.0 MiB · 2500 sent · 3 retries · 2 throttled · 1 rejected"},
		{"known size with rate", progress{settled: 3 << 20, total: 4 << 20, sent: 7500}, 1 << 19, 1000, true,
			"[██████████████████░░░░░░]  75% 3.0 MiB/4.0 MiB · 7500 sent · 0 retries · 0 throttled · 0 rejected · 1000 records/s · ETA 2s"},
		{"unknown size", progress{settled: 2048, total: -1, sent: 20}, 100, 10, true,
			"2.0 KiB · 20 sent · 0 retries · 0 throttled · 0 rejected · 10 records/s"},
		{"narrow terminal", progress{settled: 2048, total: -1, sent: 20}, 0, 0, false,
			"2.0 KiB · 20 sent"},
	}
	for _, tt := range tests {
		width := 200
		if tt.name == "narrow terminal" {
			width = utf8.RuneCountInString(tt.want) + 1 // one column kept free for the cursor
		}
		if got := progressLine(tt.p, tt.bps, tt.rps, tt.rateOK, width); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestRateMeterUsesTheRecentWindow(t *testing.T) {
	var m rateMeter
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	if _, _, ok := m.add(t0, progress{}); ok {
		t.Fatal("a rate before anything was delivered")
	}
	// 10 s at 100 records/s, then 10 s at 1,000 records/s.
	var sent int64
	for i := 1; i <= 200; i++ {
		if i <= 100 {
			sent += 10
		} else {
			sent += 100
		}
		m.add(t0.Add(time.Duration(i)*100*time.Millisecond), progress{sent: sent, delivered: sent * 100})
	}
	bps, rps, ok := m.add(t0.Add(20*time.Second), progress{sent: sent, delivered: sent * 100})
	if !ok || rps < 990 || rps > 1010 || bps < 99_000 || bps > 101_000 {
		t.Errorf("rate %.0f records/s, %.0f B/s (ok %v), want the last window's 1000 records/s", rps, bps, ok)
	}
}

func TestFormatETA(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 42 * time.Second: "42s", 185 * time.Second: "3m05s", 3720 * time.Second: "1h02m", 1400 * time.Millisecond: "1s",
	} {
		if got := formatETA(d); got != want {
			t.Errorf("formatETA(%s) = %q, want %q", d, got, want)
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
				Factory:   &cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{Output: output.Table}, Now: time.Now},
				OnInvalid: "fail", RetryTimeout: time.Minute, Concurrency: 1, Quiet: tt.quiet, progressDelay: tt.delay,
			}
			inputs, _ := openInputs(nil, ios.In)
			if err := run(context.Background(), opts, target{stream: "s"}, inputs, &scriptedKinesis{delay: 100 * time.Millisecond}, 1<<20); err != nil {
				t.Fatal(err)
			}
			got := errOut.String()
			if bar := strings.Contains(got, " sent · "); bar != tt.wantBar {
				t.Errorf("bar drawn: %v, want %v:\n%q", bar, tt.wantBar, got)
			}
			if summary := strings.Contains(got, "Delivered     3000 of 3000 records"); summary != tt.wantSummary {
				t.Errorf("summary printed: %v, want %v:\n%q", summary, tt.wantSummary, got)
			}
		})
	}
}

func TestSummaryColourFollowsStderr(t *testing.T) {
	s := Summary{Records: 3, Sent: 2, Invalid: 1}
	v := summaryView{stream: "s", rejectPath: "r.ndjson"}
	for _, colour := range []bool{false, true} {
		ios, _, _, errOut := iostreams.Test()
		ios.SetColorEnabled(colour)
		writeSummary(errOut, newSummaryStyles(ios, errOut), s, v)
		if got := strings.Contains(errOut.String(), "\x1b["); got != colour {
			t.Errorf("colour on: %v, escape codes in the summary: %v\n%q", colour, got, errOut)
		}
		if !strings.Contains(errOut.String(), "1 record: 1 invalid, written to r.ndjson") {
			t.Errorf("summary:\n%s", errOut)
		}
	}
}

// TestNoteWhileTheBarShows: a line printed while the bar is on screen
// erases it first, so the note starts a line of its own.
func TestNoteWhileTheBarShows(t *testing.T) {
	var b strings.Builder
	scr := &screen{w: &b}
	scr.draw("[bar] 1 sent")
	fmt.Fprintf(scr, "a.ndjson:7: invalid JSON\n")
	scr.draw("[bar] 2 sent")
	scr.erase()
	want := "\r[bar] 1 sent\x1b[K\r\x1b[Ka.ndjson:7: invalid JSON\n\r[bar] 2 sent\x1b[K\r\x1b[K"
	if b.String() != want {
		t.Errorf("screen:\n got %q\nwant %q", b.String(), want)
	}
}

// TestSummaryNamesEachStateOnceInOrder: every state at once, each count on
// one line, in the order delivered, rejected, not delivered, left, not read.
func TestSummaryNamesEachStateOnceInOrder(t *testing.T) {
	s := Summary{
		Records: 100, Sent: 60, Invalid: 5, GivenUp: 3, Stopped: 2, LeftForNextRun: 30, Failed: 35, Skipped: 7, Bytes: 6000,
		Requests: 4, Retries: 9, Throttled: 8, PossibleDuplicates: 1, DurationSeconds: 2, RecordsPerSecond: 30,
		Unread: []Unread{{File: "a.ndjson", FromLine: 101}, {File: "-", FromLine: 1}},
	}
	var b strings.Builder
	ios, _, _, _ := iostreams.Test()
	writeSummary(&b, newSummaryStyles(ios, &b), s, summaryView{stream: "ld-events", rejectPath: "rej.ndjson", checkpoint: "ck.json"})
	want := `Delivered     60 of 100 records (5.9 KiB) to ld-events in 2.0s, 30 records/s
Already done  7 records, by an earlier run (checkpoint ck.json)
Rejected      8 records: 5 invalid, 3 given up after retries, written to rej.ndjson
Not delivered 2 records, stopped before delivery, written to rej.ndjson to send again
Left          30 records for the next run: progress saved in ck.json; run the same command to send them
Not read      a.ndjson from line 101, standard input from line 1
Requests      4, 9 retries, 8 throttled, 1 possible duplicates
`
	if b.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestInputSizeForProgress: the bar measures against the size of plain
// files only; a gzip file (whatever its name) or standard input has none.
func TestInputSizeForProgress(t *testing.T) {
	dir := t.TempDir()
	plain, gz := filepath.Join(dir, "a.ndjson"), filepath.Join(dir, "b.data")
	if err := os.WriteFile(plain, []byte("{}\n{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gz, []byte{0x1f, 0x8b, 8, 0}, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		files []string
		want  int64
	}{{[]string{plain}, 6}, {[]string{plain, gz}, -1}, {[]string{plain, "-"}, -1}} {
		in, err := openInputs(tt.files, strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		if got := in.totalSize(); got != tt.want {
			t.Errorf("%v: size %d, want %d", tt.files, got, tt.want)
		}
		in.close()
	}
}
