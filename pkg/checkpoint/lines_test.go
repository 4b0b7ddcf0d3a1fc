package checkpoint

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestLinesAdd(t *testing.T) {
	tests := []struct {
		name      string
		adds      []Run
		wantLow   int64
		wantRuns  []Run
		wantAdded int64
	}{
		{"in order", []Run{{1, 1}, {2, 2}, {3, 3}}, 3, nil, 3},
		{"gap stays open", []Run{{1, 1}, {3, 3}, {5, 5}}, 1, []Run{{3, 3}, {5, 5}}, 3},
		{"gap closes and merges into the mark", []Run{{2, 2}, {4, 4}, {3, 3}, {1, 1}}, 4, nil, 4},
		{"adjacent runs merge", []Run{{3, 3}, {5, 5}, {4, 4}}, 0, []Run{{3, 5}}, 3},
		{"range spanning several runs", []Run{{3, 3}, {6, 7}, {10, 10}, {2, 11}}, 0, []Run{{2, 11}}, 10},
		{"duplicates count once", []Run{{5, 5}, {5, 5}, {1, 1}, {1, 1}}, 1, []Run{{5, 5}}, 2},
		{"below the mark is ignored", []Run{{1, 10}, {3, 4}}, 10, nil, 10},
		{"range crossing the mark", []Run{{1, 5}, {3, 8}}, 8, nil, 8},
		{"insert before first run", []Run{{10, 10}, {5, 5}}, 0, []Run{{5, 5}, {10, 10}}, 2},
		{"insert between runs", []Run{{10, 10}, {2, 2}, {6, 6}}, 0, []Run{{2, 2}, {6, 6}, {10, 10}}, 3},
		{"extend a run to the left", []Run{{10, 12}, {8, 9}}, 0, []Run{{8, 12}}, 5},
		{"empty range", []Run{{5, 4}}, 0, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l Lines
			var added int64
			for _, r := range tt.adds {
				added += l.Add(r.From, r.To)
			}
			if l.Low() != tt.wantLow || !reflect.DeepEqual(l.Runs(), tt.wantRuns) || added != tt.wantAdded {
				t.Fatalf("low %d runs %v added %d, want low %d runs %v added %d", l.Low(), l.Runs(), added, tt.wantLow, tt.wantRuns, tt.wantAdded)
			}
		})
	}
}

// TestLinesRandomOrder completes n lines in a random order, as a sender with
// requests in flight would, and checks Has, the count and the compaction
// against a plain map after every step.
func TestLinesRandomOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		n := int64(1 + rng.IntN(400))
		// A window of lines in flight: completion order is a local shuffle.
		order := make([]int64, n)
		for i := range order {
			order[i] = int64(i + 1)
		}
		window := 1 + rng.IntN(40)
		for i := range order {
			j := i + rng.IntN(min(window, len(order)-i))
			order[i], order[j] = order[j], order[i]
		}
		var l Lines
		done := map[int64]bool{}
		maxRuns := 0
		for _, x := range order {
			if got := l.Add(x, x); got != 1 {
				t.Fatalf("Add(%d) = %d, want 1", x, got)
			}
			done[x] = true
			maxRuns = max(maxRuns, len(l.Runs()))
			for y := int64(1); y <= n; y++ {
				if l.Has(y) != done[y] {
					t.Fatalf("round %d: Has(%d) = %v, want %v (low %d runs %v)", round, y, l.Has(y), done[y], l.Low(), l.Runs())
				}
			}
			checkRuns(t, &l)
		}
		if l.Low() != n || len(l.Runs()) != 0 {
			t.Fatalf("all %d done: low %d runs %v", n, l.Low(), l.Runs())
		}
		// Runs are bounded by the lines in flight, not by the input.
		if maxRuns > window {
			t.Fatalf("%d runs with a window of %d lines in flight", maxRuns, window)
		}
	}
}

func checkRuns(t *testing.T, l *Lines) {
	t.Helper()
	prev := l.Low() + 1 // a run must start after a gap: From > low+1
	for _, r := range l.Runs() {
		if r.From <= prev || r.To < r.From {
			t.Fatalf("runs not sorted, disjoint and non-adjacent: low %d runs %v", l.Low(), l.Runs())
		}
		prev = r.To + 1
	}
}
