package ingest

import (
	"errors"
	"fmt"
	"io"

	"github.com/ldexport/ldexport/pkg/ndjson"
	"github.com/ldexport/ldexport/pkg/sender"
)

// reader reads a job's inputs line by line, validates each line, chooses
// its partition key and hands it on: to the sender, to the reject file, or
// (a dry run) to the counts. It runs on one goroutine.
type reader struct {
	job      *Job
	limit    int // the stream's record size limit
	rej      *rejectFile
	snd      *sender.Sender // nil for a dry run
	ck       *runCheckpoint // nil without a checkpoint
	tr       *tracker
	stopping func() bool // an interrupt, a fatal error or a broken reject file

	// The input being read.
	src *input
	rd  *ndjson.Reader
	fck *fileCheckpoint

	// Records read and not yet handed to the sender: handed over together
	// (Sender.PutBatch), when there are enough of them and always before
	// anything that may wait (a read from the input: flushingReader; a
	// write to the reject file), so that no record waits on a slow pipe or
	// is held by a reader blocked in a read or a write.
	batch      []*sender.Record
	batchBytes int

	pool  *recordPool      // acknowledged records, to fill again
	spare []*sender.Record // records taken from pool, not yet used
}

// Hand-over bounds: a batch of records is handed to the sender once it has
// this many records or bytes.
const (
	handOverRecords = 64
	handOverBytes   = 64 << 10
)

// add queues rec for the sender, handing the queue over when it is full. It
// returns false when the sender has stopped (it rejected the records).
func (r *reader) add(rec *sender.Record) bool {
	r.batch = append(r.batch, rec)
	r.batchBytes += len(rec.Data)
	if len(r.batch) >= handOverRecords || r.batchBytes >= handOverBytes {
		return r.handOver()
	}
	return true
}

// handOver hands the queued records to the sender; false when it has
// stopped (it rejected them then: Close says why).
func (r *reader) handOver() bool {
	if len(r.batch) == 0 {
		return true
	}
	batch := r.batch
	r.batch, r.batchBytes = make([]*sender.Record, 0, handOverRecords), 0 // the sender owns batch now
	return r.snd.PutBatch(batch) == nil
}

// flushingReader hands the reader's queued records over before every read
// from its input. The reader may also wait writing to the reject file: it
// hands its records over before that too (readInput, oversizeSink).
type flushingReader struct {
	io.Reader
	r *reader
}

func (f flushingReader) Read(p []byte) (int, error) {
	f.r.handOver()
	return f.Reader.Read(p)
}

// readAll reads every input in turn. It returns why it stopped early, if it
// did because of the input (a bad line, a read error).
func (r *reader) readAll(in *inputs) error {
	for i, src := range in.list {
		fck := r.ck.file(i)
		if done, n := fck.complete(); done {
			src.done.Store(true)
			r.tr.skipped.Add(n) // every line done by an earlier run
			r.tr.settled.Add(max(src.size, 0))
			continue
		}
		var from io.Reader = src.r
		if r.snd != nil {
			from = flushingReader{src.r, r}
		}
		rd, err := ndjson.NewReader(from, src.name, r.limit)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return gzipCut(src.name, 0)
		}
		if err != nil {
			return badInput(err)
		}
		src.gzipped.Store(rd.Gzipped())
		r.src, r.rd, r.fck = src, rd, fck
		if r.job.SkipInvalid {
			rd.SetOversizeSink(r.oversizeSink) // copied as it streams past, never held whole
		}
		err = r.readInput()
		_ = rd.Close()
		if err != nil || r.stopping() {
			return err
		}
	}
	return nil
}

// gzipCut says that the gzip data of input name ended in the middle, in
// line (0: in its header): Go's "unexpected EOF" names neither the cause
// nor what was read.
func gzipCut(name string, line int64) error {
	const why = "the gzip data ends early (the file is truncated, still being written, or has junk after its end)"
	if line == 0 {
		return badInputf("%s: %s", name, why)
	}
	return badInputf("%s:%d: %s; the lines before it were read", name, line, why)
}

// oversizeSink is where an oversize line goes as it streams past: the
// reject file, unless an earlier run put it there already.
func (r *reader) oversizeSink() io.WriteCloser {
	if r.fck.done(r.rd.LineNumber() + 1) { // the line being read is the one after the last counted
		return discardLine{}
	}
	r.handOver() // writing to the reject file may wait
	return r.rej.lineWriter()
}

// readInput reads the current input to its end, or until the run stops.
// Every record it read is handed to the sender when it returns.
func (r *reader) readInput() error {
	src, rd, fck, tr := r.src, r.rd, r.fck, r.tr
	if r.snd != nil {
		defer r.handOver()
	}
	for {
		if r.stopping() {
			return nil
		}
		line, err := rd.Next()
		if errors.Is(err, io.EOF) {
			fck.eof(rd.LineNumber())
			src.done.Store(true)
			return nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) && rd.Gzipped() {
			return gzipCut(src.name, rd.LineNumber()+1)
		}
		if err != nil {
			return badInput(err)
		}
		if r.stopping() {
			return nil // read after the stop: not counted, not sent
		}
		if fck.skip(line) {
			src.next.Store(line.Number + 1)
			tr.skipped.Add(1)
			tr.settled.Add(lineBytes(int(line.Size)))
			continue // done by an earlier run
		}
		tr.records.Add(1)
		src.next.Store(line.Number + 1) // from here on the line is accounted for
		key, reason := r.check(line)
		if reason != "" {
			tr.invalid.Add(1)
			tr.settled.Add(lineBytes(int(line.Size)))
			if !r.job.SkipInvalid {
				return r.stopAt(line, reason)
			}
			r.handOver()                                 // writing to the reject file (and naming the first rejects on stderr) may wait
			r.rej.write(line.Data, line.Where(), reason) // Data is nil for an oversize line: it is already in the file
			fck.rejected(line)
			continue
		}
		if r.snd == nil {
			tr.sent.Add(1) // a dry run: valid, would be sent
			tr.sentBytes.Add(int64(len(line.Data)))
			tr.settled.Add(lineBytes(len(line.Data)))
			continue
		}
		if !r.add(r.newRecord(line, key)) {
			return nil // the sender stopped and rejected the records; Close says why
		}
	}
}

// check validates line and chooses its partition key; reason says why the
// line cannot be sent ("" when it can).
func (r *reader) check(line ndjson.Line) (key, reason string) {
	switch {
	case line.Oversize:
		return "", fmt.Sprintf("line of %d bytes exceeds the stream's record size limit of %d bytes", line.Size, r.limit)
	case !r.job.Raw:
		if err := ndjson.ValidateObject(line.Data); err != nil {
			return "", err.Error()
		}
	}
	key = r.job.Keys.Key(line.Data)
	if n := len(line.Data) + len(key); n > r.limit {
		return "", fmt.Sprintf("record of %d bytes with its partition key exceeds the stream's record size limit of %d bytes", n, r.limit)
	}
	return key, ""
}

// stopAt ends the reading at an invalid line (OnInvalid fail), noting
// whether any line follows it.
func (r *reader) stopAt(line ndjson.Line, reason string) error {
	r.src.invalidAt.Store(line.Number)
	err := badInputf("%s: %s", line.Where(), reason)
	if !r.src.regular { // a pipe or stdin may never say whether more follows
		return err
	}
	if _, next := r.rd.Next(); errors.Is(next, io.EOF) {
		r.src.lastBad.Store(true) // the invalid line was the last: none unread
	}
	return err
}
