// Package progress draws a one-line progress bar on a terminal: the share of
// a known total that is done (or the amount done when the total is unknown),
// counts the caller words, the rate over the last seconds and the time left.
// Lines printed while the bar shows go through the same Screen, which erases
// the bar first, so the two never share a line.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ldexport/ldexport/pkg/quantity"
	"golang.org/x/term"
)

// Timing of a bar.
const (
	Interval      = 200 * time.Millisecond  // redraw period
	rateWindow    = 3 * time.Second         // the rate and time left are measured over this
	minRateWindow = 1500 * time.Millisecond // no rate before this much history
)

// State is what a bar shows at one moment.
type State struct {
	Done     int64  // bytes done: the bar's position
	Total    int64  // bytes in all; 0 or less when unknown
	Measured int64  // the bytes the rate is measured on; no rate while 0
	Items    int64  // items measured, for the items-a-second rate
	Counts   string // shown after the position, e.g. "5 sent · 0 retries"
}

// Rate is a measured pace; OK is false while there is too little history.
type Rate struct {
	BytesPerSecond, ItemsPerSecond float64
	OK                             bool
}

type sample struct {
	at              time.Time
	measured, items int64
}

// Meter measures the rate over the last few seconds.
type Meter struct {
	samples []sample
}

// Add records s at now and returns the rate over the window. The window
// opens at the first measured byte: the time before it (reading, setting
// up) says nothing of the pace.
func (m *Meter) Add(now time.Time, s State) Rate {
	if s.Measured == 0 {
		return Rate{}
	}
	m.samples = append(m.samples, sample{at: now, measured: s.Measured, items: s.Items})
	for len(m.samples) > 1 && now.Sub(m.samples[1].at) >= rateWindow {
		m.samples = m.samples[1:]
	}
	first := m.samples[0]
	if now.Sub(first.at) < minRateWindow {
		return Rate{}
	}
	dt := now.Sub(first.at).Seconds()
	return Rate{BytesPerSecond: float64(s.Measured-first.measured) / dt, ItemsPerSecond: float64(s.Items-first.items) / dt, OK: true}
}

// Line renders one frame of the bar in at most width-1 columns (the last is
// kept for the cursor); unit names the items of the rate ("records").
func Line(s State, r Rate, unit string, width int) string {
	var b strings.Builder
	if s.Total > 0 {
		frac := min(float64(s.Done)/float64(s.Total), 1)
		const barWidth = 24
		full := int(frac * barWidth)
		fmt.Fprintf(&b, "[%s%s] %3d%% %s/%s · %s", strings.Repeat("█", full), strings.Repeat("░", barWidth-full),
			int(frac*100), quantity.FormatBytes(s.Done), quantity.FormatBytes(s.Total), s.Counts)
	} else {
		fmt.Fprintf(&b, "%s · %s", quantity.FormatBytes(s.Done), s.Counts)
	}
	if r.OK {
		fmt.Fprintf(&b, " · %.0f %s/s", r.ItemsPerSecond, unit)
		if s.Total > 0 && r.BytesPerSecond > 0 {
			eta := time.Duration(float64(max(s.Total-s.Done, 0)) / r.BytesPerSecond * float64(time.Second))
			fmt.Fprintf(&b, " · ETA %s", FormatETA(eta))
		}
	}
	return truncate(b.String(), width-1)
}

// FormatETA prints 42s, 3m05s or 1h02m.
func FormatETA(d time.Duration) string {
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

// Screen is a terminal shared by a bar and the lines printed while it
// shows: such a line first erases the bar, which comes back at the next
// redraw. Safe for concurrent use.
type Screen struct {
	mu    sync.Mutex
	w     io.Writer
	drawn bool // the bar is on the current line
}

// NewScreen returns a Screen writing to w (standard error).
func NewScreen(w io.Writer) *Screen { return &Screen{w: w} }

// Write erases the bar, if shown, and writes p.
func (s *Screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eraseLocked()
	return s.w.Write(p)
}

// Draw replaces the bar with line.
func (s *Screen) Draw(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprint(s.w, "\r"+line+"\x1b[K")
	s.drawn = true
}

// Erase removes the bar, if shown.
func (s *Screen) Erase() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eraseLocked()
}

func (s *Screen) eraseLocked() {
	if s.drawn {
		fmt.Fprint(s.w, "\r\x1b[K")
		s.drawn = false
	}
}

// Start redraws a bar on scr every Interval, from delay on, with what state
// returns, until stop is called or state says the work is done (a stopped
// run: what it then counts is no progress); the bar is erased then. unit
// names the items of the rate. The caller decides whether scr is a terminal.
func Start(scr *Screen, delay time.Duration, unit string, state func() (s State, done bool)) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer scr.Erase()
		var meter Meter
		start := time.Now()
		tick := time.NewTicker(Interval)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case now := <-tick.C:
				s, done := state()
				if done {
					return
				}
				r := meter.Add(now, s)
				if now.Sub(start) < delay {
					continue
				}
				scr.Draw(Line(s, r, unit, terminalWidth(scr.w)))
			}
		}
	}()
	return func() {
		close(quit)
		wg.Wait()
	}
}
