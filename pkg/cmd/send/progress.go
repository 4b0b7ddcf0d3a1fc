package send

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/sender"
	"golang.org/x/term"
)

// tracker is the one observer of a send: the reader, the sender's callbacks
// and the checkpoint report each line's fate to it, and both the progress
// bar and the summary read it. A line counts once, in the state it ends in.
type tracker struct {
	records atomic.Int64 // non-blank lines read in this run
	skipped atomic.Int64 // records done by an earlier run (--checkpoint), not read again

	sent, sentBytes atomic.Int64 // acknowledged by Kinesis (or, in a dry run, valid)
	invalid         atomic.Int64 // invalid lines (reject file under --on-invalid skip)
	givenUp         atomic.Int64 // retry budget spent: in the reject file
	stopped         atomic.Int64 // not delivered because the run stopped: in the reject file
	left            atomic.Int64 // not delivered because the run stopped: left for the next run (checkpoint)

	// settled counts the input bytes of the lines whose fate is known
	// (acknowledged, rejected, invalid, skipped): the bar's position. It
	// never runs ahead of Kinesis's answers. delivered counts the part
	// that Kinesis answered for, which is what the rate is measured on.
	settled, delivered atomic.Int64
	total              int64 // input bytes, -1 when unknown (standard input, gzip); set before the run
}

func newTracker(total int64) *tracker {
	return &tracker{total: total}
}

// lineBytes is what a line occupies in its input: the data and its newline.
func lineBytes(n int) int64 { return int64(n) + 1 }

// onSent is the sender's OnSent: r was acknowledged.
func (t *tracker) onSent(r *sender.Record) {
	t.sent.Add(1)
	t.sentBytes.Add(int64(len(r.Data)))
	n := lineBytes(len(r.Data))
	t.settled.Add(n)
	t.delivered.Add(n)
}

// rejectKind says why a record handed to the sender was not delivered.
type rejectKind int

const (
	gaveUp         rejectKind = iota // retry budget spent
	stoppedRejects                   // the run stopped; written to the reject file
	stoppedLeft                      // the run stopped; left for the next run
)

// onRejected counts a record the sender did not deliver.
func (t *tracker) onRejected(r *sender.Record, kind rejectKind) {
	switch kind {
	case gaveUp:
		t.givenUp.Add(1)
	case stoppedRejects:
		t.stopped.Add(1)
	case stoppedLeft:
		t.left.Add(1)
	}
	n := lineBytes(len(r.Data))
	t.settled.Add(n)
	t.delivered.Add(n)
}

// progress is a snapshot of the tracker for the bar.
type progress struct {
	settled, delivered, total int64
	sent, retries, throttled  int64
	rejected                  int64 // invalid + given up
}

func (t *tracker) snapshot(snd *sender.Sender) progress {
	p := progress{
		settled: t.settled.Load(), delivered: t.delivered.Load(), total: t.total,
		sent:     t.sent.Load(),
		rejected: t.invalid.Load() + t.givenUp.Load(),
	}
	if snd != nil {
		st := snd.Stats()
		p.retries, p.throttled = st.Retries, st.Throttled
	}
	return p
}

// Progress display settings.
const (
	progressDelay    = time.Second             // a send shorter than this shows no bar
	progressInterval = 200 * time.Millisecond  // redraw period
	rateWindow       = 3 * time.Second         // the rate and ETA are measured over this
	minRateWindow    = 1500 * time.Millisecond // no rate before this much history
)

// sample is the tracker's state at one redraw, for the rate.
type sample struct {
	at              time.Time
	delivered, sent int64
}

// rateMeter measures the delivery rate over the last rateWindow.
type rateMeter struct {
	samples []sample
}

// add records p at now and returns the bytes and records a second
// delivered over the window, or ok=false while the window is too short.
// The window opens at the first answer from Kinesis: the time spent
// reading, looking up the stream and filling the first requests says
// nothing of the pace of delivery.
func (m *rateMeter) add(now time.Time, p progress) (bytesPerSec, recordsPerSec float64, ok bool) {
	if p.delivered == 0 {
		return 0, 0, false
	}
	m.samples = append(m.samples, sample{at: now, delivered: p.delivered, sent: p.sent})
	for len(m.samples) > 1 && now.Sub(m.samples[1].at) >= rateWindow {
		m.samples = m.samples[1:]
	}
	first := m.samples[0]
	dt := now.Sub(first.at).Seconds()
	if now.Sub(first.at) < minRateWindow {
		return 0, 0, false
	}
	return float64(p.delivered-first.delivered) / dt, float64(p.sent-first.sent) / dt, true
}

// progressLine renders one frame of the bar, at most width columns.
func progressLine(p progress, bytesPerSec, recordsPerSec float64, rateOK bool, width int) string {
	var b strings.Builder
	counts := fmt.Sprintf("%d sent · %d retries · %d throttled · %d rejected", p.sent, p.retries, p.throttled, p.rejected)
	if p.total > 0 {
		frac := min(float64(p.settled)/float64(p.total), 1)
		const barWidth = 24
		full := int(frac * barWidth)
		fmt.Fprintf(&b, "[%s%s] %3d%% %s/%s · %s", strings.Repeat("█", full), strings.Repeat("░", barWidth-full),
			int(frac*100), humanBytes(p.settled), humanBytes(p.total), counts)
	} else {
		fmt.Fprintf(&b, "%s · %s", humanBytes(p.settled), counts)
	}
	if rateOK {
		fmt.Fprintf(&b, " · %.0f records/s", recordsPerSec)
		if p.total > 0 && bytesPerSec > 0 {
			eta := time.Duration(float64(max(p.total-p.settled, 0)) / bytesPerSec * float64(time.Second))
			fmt.Fprintf(&b, " · ETA %s", formatETA(eta))
		}
	}
	return truncate(b.String(), width-1)
}

// formatETA prints 42s, 3m05s or 1h02m.
func formatETA(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
}

// truncate cuts s to n runes (the bar is ASCII but for its blocks and dots).
func truncate(s string, n int) string {
	if n <= 0 {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// terminalWidth is w's width when it is a terminal, else 80.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return 80
}

// screen is stderr shared by the progress bar and the lines printed while
// it shows (a rejected line's reason): such a line first erases the bar,
// which comes back at the next redraw, so the two never mix on one line.
type screen struct {
	mu    sync.Mutex
	w     io.Writer
	drawn bool // the bar is on the current line
}

// Write erases the bar, if shown, and writes p.
func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eraseLocked()
	return s.w.Write(p)
}

// draw replaces the bar with line.
func (s *screen) draw(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprint(s.w, "\r"+line+"\x1b[K")
	s.drawn = true
}

// erase removes the bar, if shown.
func (s *screen) erase() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eraseLocked()
}

func (s *screen) eraseLocked() {
	if s.drawn {
		fmt.Fprint(s.w, "\r\x1b[K")
		s.drawn = false
	}
}

// startProgress draws the bar on stderr when it is a terminal, from
// progressDelay on, until stop is called or the run is stopping (an
// interrupt or a fatal error: what is then settled is not delivery); the
// bar is erased then. With quiet or without a terminal it draws nothing.
func startProgress(ios *iostreams.IOStreams, scr *screen, quiet bool, delay time.Duration, t *tracker, snd *sender.Sender, stopping func() bool) (stop func()) {
	if quiet || !ios.IsStderrTTY() {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var meter rateMeter
		defer scr.erase()
		start := time.Now()
		tick := time.NewTicker(progressInterval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				if stopping() {
					return
				}
				p := t.snapshot(snd)
				bps, rps, ok := meter.add(now, p)
				if now.Sub(start) < delay {
					continue
				}
				scr.draw(progressLine(p, bps, rps, ok, terminalWidth(ios.ErrOut)))
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}
