package send

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/ndjson"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/partitionkey"
	"github.com/ldexport/ldexport/pkg/sender"
)

// Summary is the run's outcome; its JSON keys are the contract's.
type Summary struct {
	Records            int64   `json:"records"`
	Sent               int64   `json:"sent"`
	Failed             int64   `json:"failed"`
	Invalid            int64   `json:"invalid"`
	Bytes              int64   `json:"bytes"`
	Requests           int64   `json:"requests"`
	Retries            int64   `json:"retries"`
	Throttled          int64   `json:"throttled"`
	PossibleDuplicates int64   `json:"possibleDuplicates"`
	DurationSeconds    float64 `json:"durationSeconds"`
	RecordsPerSecond   float64 `json:"recordsPerSecond"`
	// Skipped counts records already done by an earlier run (--checkpoint);
	// they are not read again and not counted in Records.
	Skipped int64 `json:"skipped"`
	// Failed records by what became of them: GivenUp (retry budget spent)
	// and Stopped (an interrupt or a fatal error stopped the run first) are
	// in the reject file; LeftForNextRun (stopped, with --checkpoint) are
	// not: the next run sends them. Failed = GivenUp + Stopped + LeftForNextRun.
	GivenUp        int64 `json:"givenUp"`
	Stopped        int64 `json:"stopped"`
	LeftForNextRun int64 `json:"leftForNextRun"`
	// RejectFile is where rejected lines went, when there were any.
	RejectFile string `json:"rejectFile,omitempty"`
	// KinesisRecords (--aggregate only) counts the Kinesis records that
	// carried the Sent user records.
	KinesisRecords *int64 `json:"kinesisRecords,omitempty"`
	// Unread names, per input not read to its end (an interrupt or a stop),
	// the first line never read; absent when every input was read.
	Unread []Unread `json:"unread,omitempty"`
}

// maxShownRejects is how many rejected lines are named on stderr before only a count is given.
const maxShownRejects = 10

// run reads every input, validates each line and hands it to a Sender (api;
// nil for --dry-run), then prints the summary and returns the exit error.
func run(ctx context.Context, opts *SendOptions, t target, in *inputs, api sender.PutRecordsAPI, limit int) error {
	f := opts.Factory
	ios := f.IOStreams
	start := time.Now()
	keys, err := partitionkey.New(opts.PartitionKey, uint64(start.UnixNano()))
	if err != nil {
		return cmdutil.FlagErrorf("--partition-key: %v", err)
	}
	ck := opts.ck
	if !opts.filesChecked {
		if ck, err = checkFiles(opts, t, in); err != nil {
			return err
		}
	}
	defer ck.release()
	scr := &screen{w: ios.ErrOut} // stderr, shared with the progress bar
	rej := newRejectFile(opts.RejectFile, f.Now(), ck.resumed(), scr)
	if rej.explicit {
		if err := rej.open(); err != nil {
			return cmdutil.Usage(err)
		}
	}
	if ck != nil {
		if err := ck.firstSave(); err != nil {
			_ = rej.close()
			return err
		}
	}

	tr := newTracker(in.totalSize())
	var snd *sender.Sender
	if api != nil {
		cfg := sender.Config{
			StreamName:      t.stream,
			Concurrency:     opts.Concurrency,
			RetryTimeout:    opts.RetryTimeout,
			ShutdownTimeout: opts.shutdownTimeout,
			Seed:            uint64(start.UnixNano()),
			ShardMap:        opts.rate.shards,
			Lister:          opts.rate.lister,
			Balance:         opts.Balance,
			OnSent:          tr.onSent,
		}
		var stopped <-chan struct{} // the sender's, set before the first Put
		onReject := func(r *sender.Record, reason string) {
			select {
			case <-stopped:
				if ck != nil {
					// Not delivered because the run stopped: it stays undone
					// in the checkpoint, for the next run to send.
					tr.onRejected(r, stoppedLeft)
					return
				}
				// Into the reject file to send again; nothing is wrong with
				// the line, so it is not named on stderr: the summary counts it.
				tr.onRejected(r, stoppedRejects)
				rej.write(r.Data, "", "")
			default:
				tr.onRejected(r, gaveUp)
				rej.write(r.Data, r.Where(), reason)
			}
			if ck != nil {
				ck.markRecord(r) // done once it is in the reject file
			}
		}
		aggregateConfig(opts, &cfg, limit)
		if ck != nil {
			ck.hookSender(&cfg)
		}
		snd = sender.New(ctx, api, cfg, onReject)
		stopped = snd.Stopped()
		if ck != nil {
			ck.start(rej)
		}
	}

	// Reading runs on its own goroutine: after an interrupt or a fatal error
	// the run must end even while a read blocks (an idle pipe), so the reader
	// is then given a moment to notice and otherwise abandoned.
	var stopErr error // why reading stopped early; read only once readDone is closed
	readDone := make(chan struct{})
	var stopped <-chan struct{}
	if snd != nil {
		stopped = snd.Stopped()
	}
	stopping := func() bool {
		select {
		case <-stopped:
			return true
		default:
			return ctx.Err() != nil || rej.failed()
		}
	}
	stopProgress := startProgress(ios, scr, opts.Quiet, opts.progressDelay, tr, snd, stopping)
	go func() {
		defer close(readDone)
		stopErr = readInputs(opts, in, limit, keys, rej, snd, ck, stopping, tr)
	}()
	readFinished := true
	select {
	case <-readDone:
	case <-stopped:
		readFinished = waitBriefly(readDone)
	case <-ctx.Done():
		readFinished = waitBriefly(readDone)
	}
	if !readFinished {
		stopErr = nil
	}

	var sendErr error
	var st sender.Stats
	if snd != nil {
		sendErr = snd.Close()
		st = snd.Stats()
	}
	stopProgress()
	elapsed := time.Since(start)
	sum := tr.summary(st, elapsed)
	if opts.Aggregate && snd != nil {
		sum.KinesisRecords = &st.KinesisRecords
	}
	var ckErr error
	sum.Unread = in.unread()
	if ck != nil {
		ckErr = ck.finish(readFinished && ctx.Err() == nil && sendErr == nil && stopErr == nil)
	}
	rejErr := rej.close()
	if rej.count > 0 {
		sum.RejectFile = rej.path
	}
	view := summaryView{stream: t.stream, dryRun: opts.DryRun, rejectPath: sum.RejectFile} // "" when nothing was written to it
	if ck != nil {
		view.checkpoint, view.complete = ck.ck.Path(), ck.ck.Complete()
	}
	if err := printSummary(ios, f.Globals.Output, sum, view, rej.named, opts.Quiet); err != nil {
		return err
	}
	printUnread(ios, opts, in, sum.Unread, ck != nil, f.Globals.Output == output.Table)
	if rejErr != nil {
		return cmdutil.RuntimeErrorf("reject file %s: %v (%d lines were meant for it)", rej.path, rejErr, rej.count)
	}
	if ckErr != nil {
		return cmdutil.RuntimeErrorf("%v", ckErr)
	}

	// After the text summary, which gave every count once, the error line
	// only says what happened and where things are; with -o json it is the
	// only text a person reads, so it gives the counts too.
	summarised := f.Globals.Output == output.Table
	notDelivered := func() string {
		note := ""
		switch {
		case rej.count > 0 && summarised:
			note = "; lines not delivered are in " + rej.path
		case rej.count > 0:
			note = fmt.Sprintf("; %d lines written to %s", rej.count, rej.path)
		}
		return note + ck.resumeNote()
	}
	var fe *sender.FatalError
	switch {
	case ctx.Err() != nil && summarised:
		return &cmdutil.ExitError{Code: cmdutil.ExitInterrupted, Err: fmt.Errorf("interrupted%s", notDelivered())}
	case ctx.Err() != nil:
		return &cmdutil.ExitError{Code: cmdutil.ExitInterrupted, Err: fmt.Errorf("interrupted: %s%s", interruptedCounts(sum), notDelivered())}
	case errors.As(sendErr, &fe):
		err := describeFatal(fe, t)
		return &cmdutil.ExitError{Code: cmdutil.ExitRuntime, Err: fmt.Errorf("%v%s", err, notDelivered())}
	case sendErr != nil:
		return cmdutil.RuntimeErrorf("%v%s", sendErr, notDelivered())
	case stopErr != nil:
		return stopErr
	case sum.Failed > 0 && summarised:
		return cmdutil.RuntimeErrorf("not every record was delivered%s", notDelivered())
	case sum.Failed > 0:
		return cmdutil.RuntimeErrorf("%d of %d records not delivered%s", sum.Failed, sum.Records, notDelivered())
	}
	return nil
}

// waitBriefly waits a moment for done and reports whether it closed.
func waitBriefly(done <-chan struct{}) bool {
	t := time.NewTimer(250 * time.Millisecond)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// interruptedCounts says what an interrupted run delivered and what became
// of the rest, each count once.
func interruptedCounts(s Summary) string {
	msg := fmt.Sprintf("%d of %d records delivered", s.Sent, s.Records)
	if s.LeftForNextRun > 0 {
		msg += fmt.Sprintf(", %d left for the next run", s.LeftForNextRun)
	}
	if n := s.Failed - s.LeftForNextRun; n > 0 {
		msg += fmt.Sprintf(", %d not delivered", n)
	}
	return msg
}

// summary is the run's outcome from the tracker's counts and the sender's
// request statistics.
func (t *tracker) summary(st sender.Stats, elapsed time.Duration) Summary {
	s := Summary{
		Records: t.records.Load(), Sent: t.sent.Load(), Invalid: t.invalid.Load(), Bytes: t.sentBytes.Load(),
		GivenUp: t.givenUp.Load(), Stopped: t.stopped.Load(), LeftForNextRun: t.left.Load(), Skipped: t.skipped.Load(),
		Requests: st.Requests, Retries: st.Retries, Throttled: st.Throttled, PossibleDuplicates: st.PossibleDuplicates,
		DurationSeconds: elapsed.Seconds(),
	}
	s.Failed = s.GivenUp + s.Stopped + s.LeftForNextRun
	if elapsed > 0 {
		s.RecordsPerSecond = float64(s.Sent) / elapsed.Seconds()
	}
	return s
}

// readInputs reads every input, validates each line and hands valid records to
// snd (nil for --dry-run). It returns why it stopped early, if it did.
func readInputs(opts *SendOptions, in *inputs, limit int, keys *partitionkey.Chooser, rej *rejectFile, snd *sender.Sender, ck *runCheckpoint,
	stopping func() bool, tr *tracker) error {
	for i, src := range in.list {
		fck := ck.file(i)
		if done, n := fck.complete(); done {
			src.done.Store(true)
			tr.skipped.Add(n) // every line done by an earlier run
			tr.settled.Add(max(src.size, 0))
			continue
		}
		rd, err := ndjson.NewReader(src.r, src.name, limit)
		if err != nil {
			return cmdutil.Usage(err)
		}
		src.gzipped.Store(rd.Gzipped())
		if opts.OnInvalid == "skip" {
			rd.SetOversizeSink(fck.oversizeSink(rd, rej.lineWriter)) // copied as it streams past, never held whole
		}
		err = readOne(opts, src, rd, limit, keys, rej, snd, fck, stopping, tr)
		_ = rd.Close()
		if err != nil || stopping() {
			return err
		}
	}
	return nil
}

func readOne(opts *SendOptions, src *input, rd *ndjson.Reader, limit int, keys *partitionkey.Chooser, rej *rejectFile, snd *sender.Sender, fck *fileCheckpoint,
	stopping func() bool, tr *tracker) error {
	for {
		if stopping() {
			return nil
		}
		line, err := rd.Next()
		if errors.Is(err, io.EOF) {
			fck.eof(rd.LineNumber())
			src.done.Store(true)
			return nil
		}
		if err != nil {
			return cmdutil.Usage(err)
		}
		if stopping() {
			return nil // read after the stop: not counted, not sent
		}
		if fck.skip(line) {
			src.next.Store(line.Number + 1)
			tr.skipped.Add(1)
			tr.settled.Add(lineBytes(int(line.Size)))
			continue // done by an earlier run (--checkpoint)
		}
		tr.records.Add(1)
		src.next.Store(line.Number + 1) // from here on the line is accounted for
		var key string
		reason := ""
		switch {
		case line.Oversize:
			reason = fmt.Sprintf("line of %d bytes exceeds the stream's record size limit of %d bytes", line.Size, limit)
		case !opts.Raw:
			if err := ndjson.ValidateObject(line.Data); err != nil {
				reason = err.Error()
			}
		}
		if reason == "" {
			key = keys.Key(line.Data)
			if n := len(line.Data) + len(key); n > limit {
				reason = fmt.Sprintf("record of %d bytes with its partition key exceeds the stream's record size limit of %d bytes", n, limit)
			}
		}
		if reason != "" {
			tr.invalid.Add(1)
			tr.settled.Add(lineBytes(int(line.Size)))
			if opts.OnInvalid == "fail" {
				src.invalidAt.Store(line.Number)
				err := cmdutil.UsageErrorf("%s: %s", line.Where(), reason)
				if !src.regular { // a pipe or stdin may never say whether more follows
					return err
				}
				if _, next := rd.Next(); errors.Is(next, io.EOF) {
					src.lastBad.Store(true) // the invalid line was the last: none unread
				}
				return err
			}
			rej.write(line.Data, line.Where(), reason) // Data is nil for an oversize line: it is already in the file
			fck.rejected(line)
			continue
		}
		if snd == nil {
			tr.sent.Add(1) // a dry run: valid, would be sent
			tr.sentBytes.Add(int64(len(line.Data)))
			tr.settled.Add(lineBytes(len(line.Data)))
			continue
		}
		rec := &sender.Record{Source: line.Source, Line: line.Number, Data: bytes.Clone(line.Data), Key: key, RandomKey: keys.Random()}
		if err := snd.Put(rec); err != nil {
			return nil // the sender stopped and rejected rec; Close says why
		}
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// rejectFile receives every invalid or undelivered line verbatim. The default
// file is created only when the first line arrives. Safe for concurrent use.
type rejectFile struct {
	mu       sync.Mutex
	path     string
	explicit bool
	keep     bool      // a resumed --checkpoint run: append to a reject file that has lines
	started  time.Time // names the default file
	errOut   io.Writer
	f        *os.File
	w        *wholeLines
	count    int // lines written
	named    int // lines with a reason, the first maxShownRejects named on stderr
	err      error
	broken   atomic.Bool // err is set: read on the hot path without the lock
	closed   bool        // after the summary: a reader abandoned mid-read may still call in
}

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
	if r.explicit {
		fh, err = openGivenRejectFile(r.path, r.keep)
	} else {
		fh, err = createDefaultRejectFile(r.started)
	}
	if err != nil {
		return err
	}
	r.path = fh.Name()
	r.f, r.w = fh, &wholeLines{f: fh}
	return nil
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
	r.w.Write(line)
	r.setErr(r.w.WriteByte('\n'))
}

// lineWriter starts a line the caller streams in (an oversize line); Close
// ends it. The file stays locked in between.
func (r *rejectFile) lineWriter() io.WriteCloser {
	r.mu.Lock()
	if r.f == nil && r.err == nil && !r.closed {
		r.setErr(r.open())
	}
	return rejectLine{r}
}

type rejectLine struct{ r *rejectFile }

func (l rejectLine) Write(p []byte) (int, error) {
	if l.r.err != nil || l.r.closed {
		return len(p), nil // already failed: reported when the file is closed
	}
	if _, err := l.r.w.Write(p); err != nil {
		l.r.setErr(err)
	}
	return len(p), nil
}

func (l rejectLine) Close() error {
	defer l.r.mu.Unlock()
	if l.r.err == nil && !l.r.closed {
		l.r.setErr(l.r.w.WriteByte('\n'))
	}
	return nil
}

func (r *rejectFile) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.f == nil {
		return r.err
	}
	r.setErr(r.w.Flush())
	r.setErr(r.f.Close())
	return r.err
}
