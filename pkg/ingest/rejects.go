package ingest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// maxShownRejects is how many rejected lines are named before only a count is given.
const maxShownRejects = 10

// rejectFile receives every invalid or undelivered line verbatim. The default
// file is created only when the first line arrives. Safe for concurrent use.
type rejectFile struct {
	mu      sync.Mutex
	path    string
	given   bool      // the path was given (Job.Rejects): opened before reading, never created lazily
	keep    bool      // a resumed --checkpoint run: append to a reject file that has lines
	started time.Time // names the default file
	errOut  io.Writer
	f       *os.File
	w       *wholeLines
	count   int // lines written
	named   int // lines with a reason, the first maxShownRejects named on stderr
	err     error
	broken  atomic.Bool // err is set: read on the hot path without the lock
	closed  bool        // after the summary: a reader abandoned mid-read may still call in
	cut     error       // an abandoned oversize line could not be taken back out of the file

	// An oversize line streams in while its input is read, so the file is
	// not locked for the whole line (its input may stall): line is the one
	// open, whole lines written meanwhile wait in pending until it ends.
	line      *rejectLine
	lineStart int64 // a regular file's size when the line began
	lineOut   int64 // w.out when the line began
	pending   []byte

	// fh is f for interrupt, which runs without the lock.
	fh          atomic.Pointer[os.File]
	interrupted atomic.Bool
}

// rejectWriteGrace is how long a write to the reject file may block once
// the run was interrupted (a named pipe whose reader stopped reading):
// then the write fails, and the run ends naming the lines that were meant
// for the file.
const rejectWriteGrace = time.Second

// errLineOpen says the reject file holds lines back until an oversize line
// streaming in ends: they cannot be made durable yet.
var errLineOpen = errors.New("an oversize line is being written")

// setErr keeps the first write error; the run stops reading once there is one.
func (r *rejectFile) setErr(err error) error {
	if err != nil && r.err == nil {
		r.err = err
		r.broken.Store(true)
	}
	return err
}

// failed says the reject file can no longer be written: reading on would only
// send records whose rejected neighbours are lost, and a checkpoint could no
// longer advance, so a resumed run would send them all again.
func (r *rejectFile) failed() bool { return r.broken.Load() }

func (r *rejectFile) open() error {
	var fh *os.File
	var err error
	if r.given {
		fh, err = openGivenRejectFile(r.path, r.keep)
	} else {
		fh, err = createDefaultRejectFile(r.started)
	}
	if err != nil {
		return err
	}
	r.path = fh.Name()
	r.f, r.w = fh, &wholeLines{f: fh, grace: &r.interrupted}
	r.fh.Store(fh)
	return nil
}

// interrupt bounds every write to the file from now on by
// rejectWriteGrace, one blocked already included. It is safe to call
// while a write holds the lock.
func (r *rejectFile) interrupt() {
	r.interrupted.Store(true)
	if f := r.fh.Load(); f != nil {
		_ = f.SetWriteDeadline(time.Now().Add(rejectWriteGrace)) // a regular file has no deadlines: its writes do not block
	}
}

// write appends line (nil for a line that was never held, such as an
// oversize one) and, for the first few with a reason, names it on stderr.
func (r *rejectFile) write(line []byte, where, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.count++
	if reason != "" {
		if r.named++; r.named <= maxShownRejects {
			fmt.Fprintf(r.errOut, "%s: %s\n", where, reason)
		}
	}
	if line == nil || r.err != nil {
		return
	}
	if r.f == nil {
		if r.setErr(r.open()) != nil {
			return
		}
	}
	if r.line != nil {
		r.pending = append(append(r.pending, line...), '\n')
		return
	}
	r.w.Write(line)
	r.setErr(r.w.WriteByte('\n'))
}

// lineWriter starts a line the caller streams in (an oversize line); Close
// ends it. The file is locked for each part, never while the caller waits
// for the next: other lines are held back until the line ends.
func (r *rejectFile) lineWriter() io.WriteCloser {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := &rejectLine{r: r}
	if r.f == nil && r.err == nil && !r.closed {
		r.setErr(r.open())
	}
	if r.err != nil || r.closed {
		return l // never the open line: its parts are dropped, the failure already reported
	}
	r.setErr(r.w.Flush()) // the lines before it, so that only the line is taken back if it is abandoned
	r.lineStart, r.lineOut = -1, r.w.out
	if st, err := r.f.Stat(); err == nil && st.Mode().IsRegular() {
		r.lineStart = st.Size()
	}
	r.line = l
	return l
}

type rejectLine struct{ r *rejectFile }

func (l *rejectLine) Write(p []byte) (int, error) {
	r := l.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.line != l || r.err != nil {
		return len(p), nil // abandoned, or already failed: reported when the file is closed
	}
	if _, err := r.w.Write(p); err != nil {
		r.setErr(err)
	}
	return len(p), nil
}

func (l *rejectLine) Close() error {
	r := l.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.line != l {
		return nil
	}
	r.line = nil
	if r.err == nil {
		r.setErr(r.w.WriteByte('\n'))
	}
	r.releasePending()
	return nil
}

// releasePending writes out the lines held back while a line was open.
func (r *rejectFile) releasePending() {
	if len(r.pending) > 0 && r.err == nil {
		r.w.Write(r.pending)
		r.setErr(r.w.Flush())
	}
	r.pending = nil
}

// abandon ends the job's use of an oversize line whose reader was
// abandoned mid-line (its input stalled): what was written of it is taken
// back out of the file, so no half line is left there (the line is not
// counted: the summary names it as the first unread one). A named pipe
// cannot take bytes back: its part is ended with a newline, and close
// reports it. The lines held back are then written.
func (r *rejectFile) abandon() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.abandonLine()
}

func (r *rejectFile) abandonLine() {
	if r.line == nil {
		return
	}
	r.line = nil
	r.w.buf = r.w.buf[:0] // only the line's part: the lines before it were written when it began
	if out := r.w.out - r.lineOut; out > 0 && r.err == nil {
		if r.lineStart >= 0 {
			r.setErr(r.f.Truncate(r.lineStart))
			_, err := r.f.Seek(r.lineStart, io.SeekStart) // the default file is not opened to append
			r.setErr(err)
		} else {
			r.cut = fmt.Errorf("the first %d bytes of an oversize line, cut off when the run stopped, are in it as a line of their own; that line was not rejected: it is the first unread one", out)
			r.setErr(r.w.WriteByte('\n'))
		}
	}
	r.releasePending()
}

func (r *rejectFile) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.abandonLine()
	r.closed = true
	if r.f == nil {
		return r.err
	}
	r.setErr(r.w.Flush())
	r.setErr(r.f.Close())
	if r.err == nil {
		return r.cut
	}
	return r.err
}

// sync writes the reject file's buffer out and fsyncs it.
func (r *rejectFile) sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	if r.f == nil || r.closed {
		return nil
	}
	if r.line != nil {
		if len(r.pending) > 0 {
			return errLineOpen
		}
		return r.f.Sync() // the lines before the open line were written when it began
	}
	if err := r.setErr(r.w.Flush()); err != nil {
		return err
	}
	return r.f.Sync()
}

// newRejectFile returns the reject file of a run started at start: the
// given path, or (path "") a default one created when the first line comes.
// resumed says a --checkpoint run resumes, so a given reject file may hold
// the earlier runs' lines and is appended to.
func newRejectFile(path string, start time.Time, resumed bool, errOut io.Writer) *rejectFile {
	r := &rejectFile{path: path, given: path != "", keep: resumed, started: start.UTC(), errOut: errOut}
	if path == "" {
		r.path = defaultRejectName(r.started, 1) // what messages name if it cannot be created
	}
	return r
}

// defaultRejectName is the default reject file's name: the run's UTC start
// and the process ID, and a count for a name already taken.
func defaultRejectName(start time.Time, n int) string {
	name := fmt.Sprintf("ldexport-rejects-%s-%d", start.Format("20060102T150405Z"), os.Getpid())
	if n > 1 {
		name += fmt.Sprintf("-%d", n)
	}
	return name + ".ndjson"
}

// createDefaultRejectFile creates the default reject file in the current
// folder exclusively (O_EXCL): a file that exists already, even a run's of
// the same second, is never written to; the next count is tried instead.
func createDefaultRejectFile(start time.Time) (*os.File, error) {
	var err error
	for n := 1; n <= 100; n++ {
		var fh *os.File
		fh, err = os.OpenFile(defaultRejectName(start, n), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			return fh, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("no free reject file name: %v", err)
}

// openGivenRejectFile opens --reject-file for appending, never truncating
// it. A file that already holds something is refused unless appending is
// meant (a resumed --checkpoint run, whose earlier lines it holds).
func openGivenRejectFile(path string, appendOK bool) (*os.File, error) {
	flags := os.O_CREATE | os.O_APPEND | os.O_WRONLY
	if st, err := os.Stat(path); err == nil && st.Mode()&fs.ModeNamedPipe != 0 {
		flags |= syscall.O_NONBLOCK // a pipe nobody reads fails at once (ENXIO) instead of blocking the run
	}
	fh, err := os.OpenFile(path, flags, 0o600)
	if errors.Is(err, syscall.ENXIO) {
		return nil, fmt.Errorf("--reject-file %s: a named pipe that nothing reads; start its reader first, or give a file", path)
	}
	if err != nil {
		return nil, fmt.Errorf("--reject-file: %v", err)
	}
	if st, err := fh.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > 0 && !appendOK {
		_ = fh.Close()
		return nil, fmt.Errorf("--reject-file %s already holds %d bytes and ldexport never overwrites it: name a new file, or move this one away (only a run resumed with --checkpoint appends to its reject file)", path, st.Size())
	}
	return fh, nil
}

// Thresholds of wholeLines: whole lines are written out once this much is
// buffered; a line still growing past maxPartial (an oversize line streamed
// to the reject file) is written out in parts, to keep memory bounded.
const (
	flushAt    = 64 << 10
	maxPartial = 1 << 20
)

// wholeLines buffers lines for a file opened with O_APPEND and writes them
// out whole lines at a time, one write call each, so that two runs
// appending to one reject file at once never split each other's lines
// (lines over maxPartial excepted). Not safe for concurrent use.
type wholeLines struct {
	f     *os.File
	buf   []byte
	out   int64        // bytes written out
	grace *atomic.Bool // each write may block at most rejectWriteGrace
}

// Write adds p to the current line.
func (w *wholeLines) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	if len(w.buf) > maxPartial+flushAt {
		return len(p), w.Flush()
	}
	return len(p), nil
}

// WriteByte adds c; a newline ends the line and may write the buffer out.
func (w *wholeLines) WriteByte(c byte) error {
	w.buf = append(w.buf, c)
	if c == '\n' && len(w.buf) >= flushAt {
		return w.Flush()
	}
	return nil
}

// Flush writes the buffer out in one call.
func (w *wholeLines) Flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if w.grace != nil && w.grace.Load() {
		_ = w.f.SetWriteDeadline(time.Now().Add(rejectWriteGrace))
	}
	n, err := w.f.Write(w.buf)
	w.out += int64(n)
	w.buf = w.buf[:0]
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("its reader stopped reading: a write after the interrupt waited %v", rejectWriteGrace)
	}
	return err
}
