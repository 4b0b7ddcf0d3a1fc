package ingest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ldexport/ldexport/pkg/checkpoint"
	"github.com/ldexport/ldexport/pkg/fileguard"
	"github.com/ldexport/ldexport/pkg/ndjson"
	"github.com/ldexport/ldexport/pkg/sender"
)

// checkFiles checks the files the job writes and, with a checkpoint, locks
// and loads it (nil without). The caller releases it.
func (j *Job) checkFiles(in *inputs) (*runCheckpoint, error) {
	for _, f := range []struct {
		flag, path string
		regular    bool
	}{{"--checkpoint", j.Checkpoint, true}, {"--reject-file", j.Rejects, false}} {
		if err := checkFilePath(f.flag, f.path, f.regular); err != nil {
			return nil, err
		}
	}
	if j.Checkpoint != "" && j.Connect == nil {
		return nil, &Error{Kind: BadInput, Err: errors.New("--checkpoint cannot be used with --dry-run: a dry run delivers nothing to record")}
	}
	if err := j.checkDistinctFiles(in); err != nil {
		return nil, err
	}
	if j.Checkpoint == "" {
		return nil, nil
	}
	return openRunCheckpoint(j.Checkpoint, j.Target.Stream, in)
}

// checkFilePath refuses, in one line naming the flag and the path, a path
// to write ("" for none) that is a directory or whose directory does not
// exist: the checkpoint's lock file would otherwise be made next to a
// directory (/tmp.lock), and the errors of open and lock say neither. When
// regular, a path that exists must be a regular file: a checkpoint is
// replaced by rename, which must never happen to /dev/null, and a named
// pipe would block its reading.
func checkFilePath(flag, path string, regular bool) error {
	if path == "" {
		return nil
	}
	st, err := os.Stat(path)
	switch {
	case err == nil && st.IsDir(), err != nil && strings.HasSuffix(path, string(os.PathSeparator)):
		return badInputf("%s %s: is a directory; give a file path", flag, path)
	case err == nil && regular && !st.Mode().IsRegular():
		kind := "not a regular file"
		switch t := st.Mode().Type(); {
		case t&fs.ModeNamedPipe != 0:
			kind = "is a named pipe"
		case t&fs.ModeDevice != 0:
			kind = "is a device"
		}
		return badInputf("%s %s: %s; give a regular file's path", flag, path, kind)
	case err == nil:
		return nil
	}
	dir := filepath.Dir(path)
	switch st, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		return badInputf("%s %s: directory %s does not exist; create it, or give a path in an existing directory", flag, path, dir)
	case err != nil:
		return badInputf("%s %s: %v", flag, path, err)
	case !st.IsDir():
		return badInputf("%s %s: %s is not a directory", flag, path, dir)
	}
	return nil
}

// checkDistinctFiles refuses, before anything is opened for writing, a
// reject file or checkpoint that is the same file as an input, a file of
// j.Protect, or each other.
func (j *Job) checkDistinctFiles(in *inputs) error {
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
	reads = append(reads, j.Protect...)
	writes = append(writes, fileguard.Named{Role: "--reject-file", Path: j.Rejects})
	if j.Checkpoint != "" {
		writes = append(writes, fileguard.Named{Role: "--checkpoint", Path: j.Checkpoint})
		if lp, err := fileguard.LockPath(j.Checkpoint); err == nil {
			writes = append(writes, fileguard.Named{Role: "the lock file of --checkpoint", Path: lp})
		}
	}
	return badInput(fileguard.Distinct(reads, writes))
}

// checkpointInterval is how often progress is saved while sending.
const checkpointInterval = time.Second

// runCheckpoint ties a checkpoint to one run of send (--checkpoint PATH).
//
// A line is done when Kinesis acknowledged it, when it was written to the
// reject file (invalid under --on-invalid skip, or given up after its retry
// budget), or when it is blank. Records not delivered because the run
// stopped (an interrupt or a fatal error) are not done and not written to the
// reject file: the next run with the same command sends them.
type runCheckpoint struct {
	ck    *checkpoint.Checkpoint
	lock  *fileguard.Lock // held for the whole run
	index map[string]int  // input name → position
	rej   *rejectFile

	saveMu   sync.Mutex
	saveErr  error // the first failed save
	stop     chan struct{}
	saverEnd sync.WaitGroup
}

// openRunCheckpoint binds the inputs, locks the checkpoint for the run and
// loads (or starts) it; nothing is written yet (firstSave). Every problem is
// a usage error (exit 2) naming the file. The caller releases the lock.
func openRunCheckpoint(path, stream string, in *inputs) (_ *runCheckpoint, err error) {
	c := &runCheckpoint{index: map[string]int{}, stop: make(chan struct{})}
	var names []string
	var binds []checkpoint.Binding
	seen := map[string]string{}
	for i, src := range in.list {
		if src.name == "-" {
			return nil, badInputf("--checkpoint cannot be used with standard input: it needs files it can read again")
		}
		if !src.regular { // a named pipe: Bind would wait for its writer, and it cannot be read again
			return nil, badInputf("--checkpoint: %s: not a regular file: a checkpoint needs files it can read again", src.name)
		}
		b, err := checkpoint.Bind(src.name)
		if err != nil {
			return nil, badInputf("--checkpoint: %v", err)
		}
		if first, dup := seen[b.Path]; dup {
			return nil, badInputf("--checkpoint: %s and %s are the same file; a checkpoint needs each input once", first, src.name)
		}
		seen[b.Path] = src.name
		c.index[src.name] = i
		names = append(names, src.name)
		binds = append(binds, b)
	}
	// Locked before it is read: two runs on one checkpoint would both send
	// every record it does not record yet.
	lock, err := fileguard.TryLock(path)
	if err != nil {
		var le *fileguard.LockedError
		if errors.As(err, &le) {
			holder := "another run of ldexport"
			if le.Holder != nil {
				holder += " (" + le.Holder.String() + ")"
			}
			return nil, badInputf("--checkpoint %s is in use by %s: wait for it to end, or give another checkpoint", path, holder)
		}
		return nil, badInputf("--checkpoint %s: cannot lock it: %v", path, err)
	}
	defer func() {
		if err != nil {
			_ = lock.Unlock()
		}
	}()
	c.lock = lock
	ck, err := checkpoint.Open(path, stream, names, binds)
	if err != nil {
		var ce *checkpoint.Error
		if errors.As(err, &ce) {
			return nil, badInput(fmt.Errorf("%v; delete it to start over", err))
		}
		return nil, badInputf("--checkpoint: %v", err)
	}
	c.ck = ck
	return c, nil
}

// firstSave writes the checkpoint before anything is sent: fail now, not
// after sending, if it cannot be written.
func (c *runCheckpoint) firstSave() error {
	if err := c.ck.Save(); err != nil {
		return badInputf("--checkpoint: cannot write %s: %v", c.ck.Path(), err)
	}
	return nil
}

// resumed reports whether the run resumes an earlier one's checkpoint.
func (c *runCheckpoint) resumed() bool { return c != nil && c.ck.Resumed() }

// release lets another run use the checkpoint; nil and a second call do nothing.
func (c *runCheckpoint) release() {
	if c != nil {
		_ = c.lock.Unlock()
	}
}

// start saves the checkpoint every checkpointInterval until finish.
func (c *runCheckpoint) start(rej *rejectFile) {
	c.rej = rej
	c.saverEnd.Add(1)
	go func() {
		defer c.saverEnd.Done()
		tick := time.NewTicker(checkpointInterval)
		defer tick.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-tick.C:
				_ = c.save()
			}
		}
	}()
}

// save takes the progress, makes the reject file durable, then writes the
// checkpoint. A rejected line is marked done only after it was written to
// the reject file's buffer, so every line the taken progress counts is on
// disk once the file is synced. When the reject file cannot be written, the
// checkpoint is not saved: it would claim lines that are nowhere.
func (c *runCheckpoint) save() error {
	c.saveMu.Lock()
	defer c.saveMu.Unlock()
	st := c.ck.State()
	err := c.rej.sync()
	if errors.Is(err, errLineOpen) {
		return nil // saved once the line ends: the lines held back until then are not on disk yet
	}
	if err == nil {
		err = c.ck.SaveState(st)
	} else {
		err = fmt.Errorf("reject file %s: %v", c.rej.path, err)
	}
	if err != nil && c.saveErr == nil {
		c.saveErr = err
	}
	return err
}

// finish stops the periodic saves and saves a last time; finished says the
// run ended normally, so a checkpoint with every line done is complete.
func (c *runCheckpoint) finish(finished bool) error {
	close(c.stop)
	c.saverEnd.Wait()
	if finished {
		c.ck.SetComplete()
	}
	if err := c.save(); err != nil {
		return fmt.Errorf("checkpoint %s not saved: %v", c.ck.Path(), err)
	}
	return nil
}

// markRecord marks a record done: acknowledged by Kinesis, or written to the
// reject file (given up after its retry budget). A record not delivered
// because the run stopped is not marked: the next run sends it.
func (c *runCheckpoint) markRecord(r *sender.Record) {
	if c != nil {
		c.ck.MarkRecord(c.index[r.Source], r.Line)
	}
}

// markRecords marks records acknowledged by Kinesis done.
func (c *runCheckpoint) markRecords(recs []*sender.Record) {
	if c != nil {
		for _, r := range recs {
			c.ck.MarkRecord(c.index[r.Source], r.Line)
		}
	}
}

// file returns the reading hooks of input i; nil (no-ops) without a checkpoint.
func (c *runCheckpoint) file(i int) *fileCheckpoint {
	if c == nil {
		return nil
	}
	return &fileCheckpoint{c: c, i: i}
}

// fileCheckpoint tracks the reading of one input. Its methods do nothing on nil.
type fileCheckpoint struct {
	c    *runCheckpoint
	i    int
	prev int64 // the last non-blank line seen
}

// complete reports whether every line of the input was done already, and
// how many records it has: they are then skipped and the input is not read.
func (f *fileCheckpoint) complete() (bool, int64) {
	if f == nil {
		return false, 0
	}
	return f.c.ck.FileComplete(f.i)
}

// skip marks the blank lines before line as done and reports whether line
// itself is done already (to be skipped).
func (f *fileCheckpoint) skip(line ndjson.Line) bool {
	if f == nil {
		return false
	}
	if line.Number > f.prev+1 {
		f.c.ck.MarkBlank(f.i, f.prev+1, line.Number-1)
	}
	f.prev = line.Number
	return f.c.ck.Done(f.i, line.Number)
}

// rejected marks an invalid line written to the reject file as done.
func (f *fileCheckpoint) rejected(line ndjson.Line) {
	if f != nil {
		f.c.ck.MarkRecord(f.i, line.Number)
	}
}

// eof records that the input has lines lines; the blank ones at its end are done.
func (f *fileCheckpoint) eof(lines int64) {
	if f == nil {
		return
	}
	if lines > f.prev {
		f.c.ck.MarkBlank(f.i, f.prev+1, lines)
	}
	f.c.ck.ReachedEnd(f.i, lines)
}

// done reports whether line n of the input was done by an earlier run
// (an oversize line, say, that is already in that run's reject file).
func (f *fileCheckpoint) done(n int64) bool {
	return f != nil && f.c.ck.Done(f.i, n)
}

type discardLine struct{}

func (discardLine) Write(p []byte) (int, error) { return len(p), nil }
func (discardLine) Close() error                { return nil }
