package send

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/fileguard"
)

// checkFiles checks the files the run writes and, with --checkpoint, locks
// and loads the checkpoint (nil without). The caller releases it.
func checkFiles(opts *SendOptions, t target, in *inputs) (*runCheckpoint, error) {
	if err := checkDistinctFiles(opts, in); err != nil {
		return nil, err
	}
	if opts.Checkpoint == "" {
		return nil, nil
	}
	return openRunCheckpoint(opts.Checkpoint, t, in)
}

// checkDistinctFiles refuses (exit 2), before anything is opened for
// writing, a --reject-file or --checkpoint that is the same file as an
// input, the destination store, or each other.
func checkDistinctFiles(opts *SendOptions, in *inputs) error {
	var reads, writes []fileguard.Named
	for _, src := range in.list {
		if src.name != "-" {
			reads = append(reads, fileguard.Named{Role: "input", Path: src.name})
			continue
		}
		// Standard input redirected from a file (send < FILE) is that file.
		if fh, ok := src.r.(*os.File); ok {
			if st, err := fh.Stat(); err == nil && st.Mode().IsRegular() {
				reads = append(reads, fileguard.Named{Role: "standard input", Path: "-", Info: st})
			}
		}
	}
	if f := opts.Factory; f.Store != nil {
		if s, err := f.Store(); err == nil {
			reads = append(reads, fileguard.Named{Role: "the destination store (--config)", Path: s.Path()})
			if lp, err := fileguard.LockPath(s.Path()); err == nil {
				reads = append(reads, fileguard.Named{Role: "the destination store's lock file", Path: lp})
			}
		}
	}
	writes = append(writes, fileguard.Named{Role: "--reject-file", Path: opts.RejectFile})
	if opts.Checkpoint != "" {
		writes = append(writes, fileguard.Named{Role: "--checkpoint", Path: opts.Checkpoint})
		if lp, err := fileguard.LockPath(opts.Checkpoint); err == nil {
			writes = append(writes, fileguard.Named{Role: "the lock file of --checkpoint", Path: lp})
		}
	}
	if err := fileguard.Distinct(reads, writes); err != nil {
		return cmdutil.Usage(err)
	}
	return nil
}

// newRejectFile returns the reject file of a run started at start: the
// given path, or (path "") a default one created when the first line comes.
// resumed says a --checkpoint run resumes, so a given reject file may hold
// the earlier runs' lines and is appended to.
func newRejectFile(path string, start time.Time, resumed bool, errOut io.Writer) *rejectFile {
	r := &rejectFile{path: path, explicit: path != "", keep: resumed, started: start.UTC(), errOut: errOut}
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
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
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
	f   *os.File
	buf []byte
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
	_, err := w.f.Write(w.buf)
	w.buf = w.buf[:0]
	return err
}
