package progress

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	counts := func(sent, retries, throttled, rejected int) string {
		return fmt.Sprintf("%d sent · %d retries · %d throttled · %d rejected", sent, retries, throttled, rejected)
	}
	tests := []struct {
		name  string
		s     State
		r     Rate
		width int
		want  string
	}{
		{"known size, no rate yet", State{Done: 1 << 20, Total: 4 << 20, Counts: counts(2500, 3, 2, 1)}, Rate{}, 200,
			"[██████░░░░░░░░░░░░░░░░░░]  25% 1.0 MiB/4.0 MiB · 2500 sent · 3 retries · 2 throttled · 1 rejected"},
		{"known size with rate", State{Done: 3 << 20, Total: 4 << 20, Counts: counts(7500, 0, 0, 0)}, Rate{BytesPerSecond: 1 << 19, ItemsPerSecond: 1000, OK: true}, 200,
			"[██████████████████░░░░░░]  75% 3.0 MiB/4.0 MiB · 7500 sent · 0 retries · 0 throttled · 0 rejected · 1000 records/s · ETA 2s"},
		{"unknown size", State{Done: 2048, Total: -1, Counts: counts(20, 0, 0, 0)}, Rate{BytesPerSecond: 100, ItemsPerSecond: 10, OK: true}, 200,
			"2.0 KiB · 20 sent · 0 retries · 0 throttled · 0 rejected · 10 records/s"},
		{"narrow terminal", State{Done: 2048, Total: -1, Counts: counts(20, 0, 0, 0)}, Rate{}, utf8.RuneCountInString("2.0 KiB · 20 sent") + 1, // one column kept free for the cursor
			"2.0 KiB · 20 sent"},
	}
	for _, tt := range tests {
		if got := Line(tt.s, tt.r, "records", tt.width); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestMeterUsesTheRecentWindow(t *testing.T) {
	var m Meter
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	if r := m.Add(t0, State{}); r.OK {
		t.Fatal("a rate before anything was measured")
	}
	// 10 s at 100 records/s, then 10 s at 1,000 records/s.
	var sent int64
	for i := 1; i <= 200; i++ {
		if i <= 100 {
			sent += 10
		} else {
			sent += 100
		}
		m.Add(t0.Add(time.Duration(i)*100*time.Millisecond), State{Items: sent, Measured: sent * 100})
	}
	r := m.Add(t0.Add(20*time.Second), State{Items: sent, Measured: sent * 100})
	if !r.OK || r.ItemsPerSecond < 990 || r.ItemsPerSecond > 1010 || r.BytesPerSecond < 99_000 || r.BytesPerSecond > 101_000 {
		t.Errorf("rate %+v, want the last window's 1000 records/s", r)
	}
}

func TestFormatETA(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 42 * time.Second: "42s", 185 * time.Second: "3m05s", 3720 * time.Second: "1h02m", 1400 * time.Millisecond: "1s",
	} {
		if got := FormatETA(d); got != want {
			t.Errorf("FormatETA(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestNoteWhileTheBarShows: a line printed while the bar is on screen
// erases it first, so the note starts a line of its own.
func TestNoteWhileTheBarShows(t *testing.T) {
	var b strings.Builder
	scr := NewScreen(&b)
	scr.Draw("[bar] 1 sent")
	fmt.Fprintf(scr, "a.ndjson:7: invalid JSON\n")
	scr.Draw("[bar] 2 sent")
	scr.Erase()
	want := "\r[bar] 1 sent\x1b[K\r\x1b[Ka.ndjson:7: invalid JSON\n\r[bar] 2 sent\x1b[K\r\x1b[K"
	if b.String() != want {
		t.Errorf("screen:\n got %q\nwant %q", b.String(), want)
	}
}

// lockedBuilder is a strings.Builder safe for the bar's goroutine.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestStartRedrawsUntilDone: the bar redraws the state every Interval and
// is erased, and stops asking, once the state says the work is done.
func TestStartRedrawsUntilDone(t *testing.T) {
	var out lockedBuilder
	var polls, done atomic.Int64
	stop := Start(NewScreen(&out), 0, "records", func() (State, bool) {
		n := polls.Add(1)
		return State{Done: n, Total: -1, Counts: fmt.Sprintf("poll %d", n)}, done.Load() == 1
	})
	deadline := time.Now().Add(5 * time.Second)
	for polls.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	done.Store(1)
	time.Sleep(3 * Interval)
	after := polls.Load()
	time.Sleep(2 * Interval)
	stop()
	got := out.String()
	if !strings.Contains(got, "\r1 B · poll 1\x1b[K") || !strings.Contains(got, "\r2 B · poll 2\x1b[K") || !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("screen %q: want each poll drawn, then the bar erased", got)
	}
	if polls.Load() != after {
		t.Errorf("still polled after done: %d then %d", after, polls.Load())
	}
}
