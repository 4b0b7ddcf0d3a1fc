package checkpoint

import "sort"

// Run is an inclusive range of line numbers.
type Run struct{ From, To int64 }

// Lines is a set of done line numbers (1-based) of one input: a low-water
// mark (every line up to it is done) and the sorted, disjoint, non-adjacent
// runs of done lines above it. Lines finish out of order (requests in
// flight, retries), so the runs hold what finished ahead of the oldest line
// still pending; each run starts after a gap of pending lines, so there are
// never more runs than lines in flight, and each run merges into the mark as
// soon as its gap closes.
//
// The zero value is the empty set. Lines is not safe for concurrent use.
type Lines struct {
	low  int64
	runs []Run
}

// Low returns the low-water mark: every line in 1..Low is done.
func (l *Lines) Low() int64 { return l.low }

// Runs returns the done runs above the low-water mark (shared; do not modify).
func (l *Lines) Runs() []Run { return l.runs }

// Has reports whether line n is done.
func (l *Lines) Has(n int64) bool {
	if n <= l.low {
		return true
	}
	i := sort.Search(len(l.runs), func(i int) bool { return l.runs[i].To >= n })
	return i < len(l.runs) && l.runs[i].From <= n
}

// Add marks lines from..to (inclusive) as done and returns how many of them
// were not done before.
func (l *Lines) Add(from, to int64) int64 {
	if from <= l.low {
		from = l.low + 1
	}
	if to < from {
		return 0
	}
	added := to - from + 1
	// The first run that touches or follows [from-1, ...].
	i := sort.Search(len(l.runs), func(i int) bool { return l.runs[i].To >= from-1 })
	j := i
	merged := Run{From: from, To: to}
	for j < len(l.runs) && l.runs[j].From <= to+1 {
		r := l.runs[j]
		// Subtract the overlap of r with [from, to].
		if lo, hi := max(r.From, from), min(r.To, to); lo <= hi {
			added -= hi - lo + 1
		}
		merged.From = min(merged.From, r.From)
		merged.To = max(merged.To, r.To)
		j++
	}
	switch {
	case j == i+1:
		l.runs[i] = merged
	case j == i:
		l.runs = append(l.runs, Run{})
		copy(l.runs[i+1:], l.runs[i:])
		l.runs[i] = merged
	default:
		l.runs[i] = merged
		l.runs = append(l.runs[:i+1], l.runs[j:]...)
	}
	if l.runs[0].From == l.low+1 {
		l.low = l.runs[0].To
		l.runs = l.runs[1:]
		if len(l.runs) == 0 {
			l.runs = nil // let a long-grown backing array go
		}
	}
	return added
}
