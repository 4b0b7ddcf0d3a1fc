package sender

// window is how many requests may be in flight: Concurrency while the
// endpoint copes, halved when it signals overload (a whole request
// throttled, answered with a 5xx, or timed out) so that retries do not pile
// more load on an endpoint already failing, and raised again by one request
// per window of good answers (additive increase, as TCP does).
// Only the dispatcher touches it.
type window struct {
	max      int
	size     float64 // allowed requests in flight, 1..max
	inflight int
	// stale counts the requests that were in flight at the last cut: they
	// went out before it, so their answers say nothing about the new size.
	stale int
}

func newWindow(max int) *window { return &window{max: max, size: float64(max)} }

// open reports whether one more request may go out.
func (w *window) open() bool { return w.inflight < int(w.size) }

// sent notes a request handed to a worker.
func (w *window) sent() { w.inflight++ }

// done notes a finished request.
func (w *window) done(overloaded bool) {
	w.inflight--
	if w.stale > 0 {
		w.stale--
		return
	}
	if !overloaded {
		w.size = min(float64(w.max), w.size+1/w.size)
		return
	}
	w.size = max(1, w.size/2)
	w.stale = w.inflight
}
