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
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/ndjson"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/partitionkey"
	"github.com/ldexport/ldexport/pkg/sender"
	"github.com/schollz/progressbar/v3"
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
	rej := newRejectFile(opts.RejectFile, f.Now(), ck.resumed(), ios.ErrOut)
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
		}
		aggregateConfig(opts, &cfg, limit)
		onReject := func(r *sender.Record, reason string) { rej.write(r.Data, r.Where(), reason) }
		if ck != nil {
			onReject = ck.hookSender(&cfg, onReject)
		}
		snd = sender.New(ctx, api, cfg, onReject)
		if ck != nil {
			ck.stopped = snd.Stopped()
			ck.start(rej)
		}
	}

	var records, invalid, dryRunValid, dryRunBytes atomic.Int64
	stopProgress := startProgress(ios, in, &records, snd)

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
			return ctx.Err() != nil
		}
	}
	go func() {
		defer close(readDone)
		stopErr = readInputs(opts, in, limit, keys, rej, snd, ck, stopping, &records, &invalid, &dryRunValid, &dryRunBytes)
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
	} else {
		st.Sent, st.Bytes = dryRunValid.Load(), dryRunBytes.Load()
	}
	stopProgress()
	elapsed := time.Since(start)
	sum := Summary{
		Records: records.Load(), Sent: st.Sent, Failed: st.Failed, Invalid: invalid.Load(), Bytes: st.Bytes,
		Requests: st.Requests, Retries: st.Retries, Throttled: st.Throttled, PossibleDuplicates: st.PossibleDuplicates,
		DurationSeconds: elapsed.Seconds(),
	}
	if elapsed > 0 {
		sum.RecordsPerSecond = float64(sum.Sent) / elapsed.Seconds()
	}
	if opts.Aggregate && snd != nil {
		sum.KinesisRecords = &st.KinesisRecords
	}
	var ckErr error
	sum.Unread = in.unread()
	if ck != nil {
		sum.Skipped = ck.skipped.Load()
		ckErr = ck.finish(readFinished && ctx.Err() == nil && sendErr == nil && stopErr == nil)
	}
	rejErr := rej.close()
	if err := printSummary(ios, f.Globals.Output, sum, opts.DryRun, t, rej); err != nil {
		return err
	}
	printUnread(ios, opts, in, sum.Unread, ck != nil)
	if rejErr != nil {
		return cmdutil.RuntimeErrorf("reject file %s: %v (%d lines were meant for it)", rej.path, rejErr, rej.count)
	}
	if ckErr != nil {
		return cmdutil.RuntimeErrorf("%v", ckErr)
	}
	if ck != nil {
		printCheckpointNote(ios, ck, sum)
	}

	notDelivered := func() string {
		note := ""
		if rej.count > 0 {
			note = fmt.Sprintf("; %d lines written to %s", rej.count, rej.path)
		}
		return note + ck.resumeNote()
	}
	var fe *sender.FatalError
	switch {
	case ctx.Err() != nil:
		return &cmdutil.ExitError{Code: cmdutil.ExitInterrupted, Err: fmt.Errorf("interrupted: %d of %d records sent, %d not delivered%s", sum.Sent, sum.Records, sum.Failed, notDelivered())}
	case errors.As(sendErr, &fe):
		err := describeFatal(fe, t)
		return &cmdutil.ExitError{Code: cmdutil.ExitRuntime, Err: fmt.Errorf("%v%s", err, notDelivered())}
	case sendErr != nil:
		return cmdutil.RuntimeErrorf("%v%s", sendErr, notDelivered())
	case stopErr != nil:
		return stopErr
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

// readInputs reads every input, validates each line and hands valid records to
// snd (nil for --dry-run). It returns why it stopped early, if it did.
func readInputs(opts *SendOptions, in *inputs, limit int, keys *partitionkey.Chooser, rej *rejectFile, snd *sender.Sender, ck *runCheckpoint,
	stopping func() bool, records, invalid, dryRunValid, dryRunBytes *atomic.Int64) error {
	for i, src := range in.list {
		fck := ck.file(i)
		if fck.complete() {
			src.done.Store(true)
			continue // every line done by an earlier run
		}
		cr := &countingReader{r: src.r}
		in.counted.Store(cr)
		rd, err := ndjson.NewReader(cr, src.name, limit)
		if err != nil {
			return cmdutil.Usage(err)
		}
		src.gzipped.Store(rd.Gzipped())
		if opts.OnInvalid == "skip" {
			rd.SetOversizeSink(fck.oversizeSink(rd, rej.lineWriter)) // copied as it streams past, never held whole
		}
		err = readOne(opts, src, rd, limit, keys, rej, snd, fck, stopping, records, invalid, dryRunValid, dryRunBytes)
		_ = rd.Close()
		if err != nil || stopping() {
			return err
		}
	}
	return nil
}

func readOne(opts *SendOptions, src *input, rd *ndjson.Reader, limit int, keys *partitionkey.Chooser, rej *rejectFile, snd *sender.Sender, fck *fileCheckpoint,
	stopping func() bool, records, invalid, dryRunValid, dryRunBytes *atomic.Int64) error {
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
			continue // done by an earlier run (--checkpoint)
		}
		records.Add(1)
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
			invalid.Add(1)
			if opts.OnInvalid == "fail" {
				src.invalidAt.Store(line.Number)
				return cmdutil.UsageErrorf("%s: %s", line.Where(), reason)
			}
			rej.write(line.Data, line.Where(), reason) // Data is nil for an oversize line: it is already in the file
			fck.rejected(line)
			continue
		}
		if snd == nil {
			dryRunValid.Add(1)
			dryRunBytes.Add(int64(len(line.Data)))
			continue
		}
		rec := &sender.Record{Source: line.Source, Line: line.Number, Data: bytes.Clone(line.Data), Key: key, RandomKey: keys.Random()}
		if err := snd.Put(rec); err != nil {
			return nil // the sender stopped and rejected rec; Close says why
		}
	}
}

func printSummary(ios *iostreams.IOStreams, format output.Format, s Summary, dryRun bool, t target, rej *rejectFile) error {
	if rej.count > maxShownRejects {
		fmt.Fprintf(ios.ErrOut, "... and %d more rejected lines\n", rej.count-maxShownRejects)
	}
	if rej.count > 0 {
		fmt.Fprintf(ios.ErrOut, "Rejected lines written to %s\n", rej.path)
	}
	if format != output.Table {
		return output.Write(ios, format, s, nil)
	}
	verb := "Sent"
	if dryRun {
		verb = "Dry run: would send"
	}
	fmt.Fprintf(ios.ErrOut, "%s %d of %d records (%s) to %s in %.1fs, %.0f records/s\n",
		verb, s.Sent, s.Records, humanBytes(s.Bytes), t.stream, s.DurationSeconds, s.RecordsPerSecond)
	if s.Failed+s.Invalid > 0 {
		fmt.Fprintf(ios.ErrOut, "Not sent: %d invalid, %d failed\n", s.Invalid, s.Failed)
	}
	if !dryRun {
		fmt.Fprintf(ios.ErrOut, "%d requests, %d retries, %d throttled, %d possible duplicates\n", s.Requests, s.Retries, s.Throttled, s.PossibleDuplicates)
	}
	printAggregateSummary(ios, s)
	return nil
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
	count    int
	err      error
	closed   bool // after the summary: a reader abandoned mid-read may still call in
}

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
// oversize one) and names it on stderr, for the first few.
func (r *rejectFile) write(line []byte, where, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.count++
	if r.count <= maxShownRejects {
		fmt.Fprintf(r.errOut, "%s: %s\n", where, reason)
	}
	if line == nil || r.err != nil {
		return
	}
	if r.f == nil {
		if r.err = r.open(); r.err != nil {
			return
		}
	}
	r.w.Write(line)
	if r.err = r.w.WriteByte('\n'); r.err != nil {
		return
	}
}

// lineWriter starts a line the caller streams in (an oversize line); Close
// ends it. The file stays locked in between.
func (r *rejectFile) lineWriter() io.WriteCloser {
	r.mu.Lock()
	if r.f == nil && r.err == nil && !r.closed {
		r.err = r.open()
	}
	return rejectLine{r}
}

type rejectLine struct{ r *rejectFile }

func (l rejectLine) Write(p []byte) (int, error) {
	if l.r.err != nil || l.r.closed {
		return len(p), nil // already failed: reported when the file is closed
	}
	if _, err := l.r.w.Write(p); err != nil {
		l.r.err = err
	}
	return len(p), nil
}

func (l rejectLine) Close() error {
	defer l.r.mu.Unlock()
	if l.r.err == nil && !l.r.closed {
		l.r.err = l.r.w.WriteByte('\n')
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
	if err := r.w.Flush(); err != nil && r.err == nil {
		r.err = err
	}
	if err := r.f.Close(); err != nil && r.err == nil {
		r.err = err
	}
	return r.err
}

// countingReader counts the bytes read from an input, for progress.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// startProgress shows a progress bar on stderr when it is a terminal: input
// bytes read (with an ETA when every input size is known), records, retries.
func startProgress(ios *iostreams.IOStreams, in *inputs, records *atomic.Int64, snd *sender.Sender) (stop func()) {
	if !ios.IsStderrTTY() {
		return func() {}
	}
	total := in.totalSize()
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(ios.ErrOut),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSpinnerType(14),
		// No spinner goroutine of the library's own: it reads the bar's state
		// without its lock (a data race under -race); our ticker redraws instead.
		progressbar.OptionSetSpinnerChangeInterval(0),
	)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		var base int64 // bytes of the inputs already finished
		var last *countingReader
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			desc := fmt.Sprintf("%d records", records.Load())
			if snd != nil {
				st := snd.Stats()
				desc = fmt.Sprintf("%d read, %d sent, %d retries", records.Load(), st.Sent, st.Retries)
			}
			bar.Describe(desc)
			cr := in.counted.Load()
			if cr != last && last != nil {
				base += last.n.Load()
			}
			last = cr
			if cr != nil {
				_ = bar.Set64(base + cr.n.Load())
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		_ = bar.Finish()
	}
}
