package send_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/ldexport/ldexport/pkg/cmd/root"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// frame is one drawing of the progress bar as the terminal received it,
// with what the fake Kinesis had stored when it was read.
type frame struct {
	at      time.Time
	text    string
	sent    int64
	percent int
	eta     time.Duration // -1 when not shown
	stored  int64         // records the fake had accepted when the frame was read
}

var (
	frameCounts  = regexp.MustCompile(`(\d+) sent · (\d+) retries · (\d+) throttled · (\d+) rejected`)
	framePercent = regexp.MustCompile(`\] +(\d+)% `)
	frameETA     = regexp.MustCompile(`ETA (?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?`)
)

// sendInTerminal runs `ldexport send` in-process with its stderr on the
// slave side of a pseudo-terminal 160 columns wide, reading every frame the
// program draws from the master side, until the command returns.
func sendInTerminal(t *testing.T, srv *kinesistest.Server, stream string, args ...string) (code int, frames []frame, screen string) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer master.Close()
	if err := pty.Setsize(master, &pty.Winsize{Cols: 160, Rows: 40}); err != nil {
		t.Fatal(err)
	}
	ios, _, _, _ := iostreams.Test()
	ios.ErrOut = slave
	ios.SetStderrTTY(true)
	f := cmdutil.NewFactory(ios, cmdutil.BuildInfo{Version: "test"})

	var all bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 64<<10)
		pending := "" // the frame being drawn: complete at the next carriage return
		for {
			n, err := master.Read(buf)
			stored := srv.Stats().RecordsAccepted // read after the bytes: at least what was stored when they were drawn
			all.Write(buf[:n])
			parts := strings.Split(pending+string(buf[:n]), "\r")
			for _, p := range parts[:len(parts)-1] {
				if f, ok := parseFrame(p, time.Now(), stored); ok {
					frames = append(frames, f)
				}
			}
			pending = parts[len(parts)-1]
			if err != nil {
				return
			}
		}
	}()
	code = root.Execute(context.Background(), f, append([]string{"send", "--stream", stream, "--endpoint-url", srv.URL}, args...))
	slave.Close()
	select {
	case <-readDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the terminal was not drained")
	}
	return code, frames, all.String()
}

func parseFrame(s string, at time.Time, stored int64) (frame, bool) {
	m := frameCounts.FindStringSubmatch(s)
	if m == nil {
		return frame{}, false
	}
	f := frame{at: at, text: s, eta: -1, percent: -1, stored: stored}
	f.sent, _ = strconv.ParseInt(m[1], 10, 64)
	if p := framePercent.FindStringSubmatch(s); p != nil {
		f.percent, _ = strconv.Atoi(p[1])
	}
	if e := frameETA.FindStringSubmatch(s); e != nil {
		h, _ := strconv.Atoi(e[1])
		mi, _ := strconv.Atoi(e[2])
		se, _ := strconv.Atoi(e[3])
		f.eta = time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(se)*time.Second
	}
	return f, true
}

// TestProgressTracksDeliveryInATerminal sends a small file (far less than
// the sender reads ahead) into a 1-shard stream limited to 1,000 records a
// second, in a pseudo-terminal. The bar must show up although the input was
// read at once, its count must never exceed what the fake Kinesis had
// accepted, it must move, and its ETA (after the first seconds) must be
// near the time the send really took to finish.
func TestProgressTracksDeliveryInATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("sends for several seconds")
	}
	setup(t)
	n := 8000
	if v := os.Getenv("LDEXPORT_PTY_LINES"); v != "" { // for measuring longer sends by hand
		n, _ = strconv.Atoi(v)
	}
	srv := kinesistest.NewServer(kinesistest.Options{Limits: kinesistest.DefaultWriteLimits()})
	defer srv.Close()
	if err := srv.CreateStream("slow", 1); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "events.ndjson")
	if err := os.WriteFile(path, []byte(strings.Join(events(n), "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, frames, screen := sendInTerminal(t, srv, "slow", path)
	end := time.Now()
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, screen)
	}
	if len(frames) < 5 {
		t.Fatalf("%d frames drawn in %s, want the bar to show:\n%q", len(frames), end.Sub(start), screen)
	}
	distinct := map[int64]bool{}
	var maxLag int64
	perSecond := float64(n) / end.Sub(start).Seconds()
	for _, f := range frames {
		if f.sent > f.stored {
			t.Errorf("bar shows %d sent when the stream had accepted %d: %q", f.sent, f.stored, f.text)
		}
		maxLag = max(maxLag, f.stored-f.sent)
		distinct[f.sent] = true
	}
	// The stream's count is taken when the test reads a frame, which a
	// loaded machine (CI runs every package at once) delays: two seconds'
	// worth still tells a bar that follows delivery from one that does not
	// (measured lag on a quiet machine: 0.27 s, docs/output.md).
	if float64(maxLag) > 2*perSecond {
		t.Errorf("the bar trailed the stream by up to %d records, more than two seconds' worth (%.0f)", maxLag, 2*perSecond)
	}
	if len(distinct) < 3 {
		t.Errorf("the bar did not move: %d distinct counts", len(distinct))
	}
	first, last := frames[0], frames[len(frames)-1]
	if first.percent < 0 || first.percent >= 90 || last.percent <= first.percent {
		t.Errorf("percentage went from %d to %d, want it to follow delivery", first.percent, last.percent)
	}
	var worst, worstRel float64 // seconds; fraction of the time left (while 2 s or more were left)
	checked := 0
	for _, f := range frames {
		if f.at.Sub(start) < 5*time.Second || f.eta < 0 {
			continue
		}
		remaining := end.Sub(f.at)
		off := (f.eta - remaining).Abs()
		// The ETA is printed in whole seconds and the run ends with a
		// summary: allow 20% and one second.
		if off > remaining/5+time.Second {
			t.Errorf("at %s the ETA said %s, the send ended %s later", f.at.Sub(start).Round(100*time.Millisecond), f.eta, remaining.Round(100*time.Millisecond))
		}
		worst = max(worst, off.Seconds())
		if remaining >= 2*time.Second {
			worstRel = max(worstRel, off.Seconds()/remaining.Seconds())
		}
		checked++
	}
	if checked == 0 {
		t.Errorf("no frame with an ETA after 5s")
	}
	t.Logf("%d records in %s: %d frames, bar behind the stream by at most %d records (%.2fs), %d frames checked for ETA, worst ETA error %.1fs (%.0f%% of the time left)",
		n, end.Sub(start).Round(100*time.Millisecond), len(frames), maxLag, float64(maxLag)/perSecond, checked, worst, 100*worstRel)
	t.Logf("first frame: %s\nlast frame: %s", strings.TrimSuffix(first.text, "\x1b[K"), strings.TrimSuffix(last.text, "\x1b[K"))
	if !strings.Contains(screen, "\x1b[KDelivered") {
		t.Errorf("the bar was not erased before the summary:\n%q", screen[max(len(screen)-400, 0):])
	}
}
