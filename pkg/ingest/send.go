package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ldexport/ldexport/pkg/awserr"
	"github.com/ldexport/ldexport/pkg/sender"
)

// send reads every input into a Sender (none for a dry run) and waits for
// every record to settle, or for the run to stop.
func (j *Job) send(ctx context.Context, in *inputs, ck *runCheckpoint, s *stream) (*Summary, error) {
	defer ck.release()
	start := time.Now()
	rej := newRejectFile(j.Rejects, j.now(), ck.resumed(), j.Notes)
	if rej.given {
		if err := rej.open(); err != nil {
			return nil, badInput(err)
		}
	}
	if ck != nil {
		if err := ck.firstSave(); err != nil {
			_ = rej.close()
			return nil, err
		}
	}
	defer context.AfterFunc(ctx, rej.interrupt)() // a reject file nobody reads must not keep an interrupt from ending the run
	tr := &tracker{total: in.totalSize()}
	pool := newRecordPool(!j.Aggregate)
	var snd *sender.Sender
	if s.api != nil {
		u := &undelivered{rej: rej, tr: tr, ck: ck}
		snd = sender.New(ctx, s.api, j.senderConfig(s, start, tr, ck, pool), u.reject)
		u.stopped = snd.Stopped()
		if ck != nil {
			ck.start(rej)
		}
	}

	// Reading runs on its own goroutine: after an interrupt or a fatal error
	// the run must end even while a read blocks (an idle pipe), so the reader
	// is then given a moment to notice and otherwise abandoned.
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
	if j.Observer != nil {
		j.Observer.Start(&Progress{t: tr, snd: snd, stopping: stopping})
	}
	rd := &reader{job: j, limit: s.limit, rej: rej, snd: snd, ck: ck, tr: tr, stopping: stopping, pool: pool}
	var readErr error // why reading stopped early; read only once readDone is closed
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		readErr = rd.readAll(in)
	}()
	readFinished := true
	select {
	case <-readDone:
	case <-stopped:
		readFinished = waitBriefly(readDone)
	case <-ctx.Done():
		readFinished = waitBriefly(readDone)
	}
	var stopErr error
	if readFinished {
		stopErr = readErr
	} else {
		rej.abandon() // an oversize line the reader was streaming in
	}

	var sendErr error
	var st sender.Stats
	if snd != nil {
		sendErr = snd.Close()
		st = snd.Stats()
	}
	if j.Observer != nil {
		j.Observer.Stop()
	}
	sum := tr.summary(st, time.Since(start))
	if j.Aggregate && snd != nil {
		sum.KinesisRecords = &st.KinesisRecords
	}
	sum.Stream, sum.DryRun = j.Target.Stream, snd == nil
	sum.Unread = in.unread()
	sum.Resume = in.resume(sum.Unread)
	var ckErr error
	if ck != nil {
		ckErr = ck.finish(readFinished && ctx.Err() == nil && sendErr == nil && stopErr == nil)
		sum.Checkpoint, sum.Complete = ck.ck.Path(), ck.ck.Complete()
	}
	rejErr := rej.close()
	if sum.RejectLines = rej.count; rej.count > 0 {
		sum.RejectFile = rej.path
	}
	if rej.named > maxShownRejects {
		fmt.Fprintf(j.Notes, "... and %d more rejected lines\n", rej.named-maxShownRejects)
	}

	var fe *sender.FatalError
	switch {
	case rejErr != nil:
		return sum, failedf("reject file %s: %v (%d lines were meant for it)", rej.path, rejErr, rej.count)
	case ckErr != nil:
		return sum, failedf("%v", ckErr)
	case ctx.Err() != nil:
		return sum, errInterrupted
	case errors.As(sendErr, &fe):
		return sum, &Error{Kind: SendFailed, Err: j.explainFatal(fe)}
	case sendErr != nil:
		return sum, &Error{Kind: SendFailed, Err: sendErr}
	case stopErr != nil:
		return sum, stopErr
	case sum.Failed > 0:
		return sum, errNotDelivered
	}
	return sum, nil
}

// senderConfig is the sender's configuration: the job's limits, the
// stream's shards, and acknowledged records counted, checkpointed and then
// given to pool for the reader to fill again.
func (j *Job) senderConfig(s *stream, start time.Time, tr *tracker, ck *runCheckpoint, pool *recordPool) sender.Config {
	return sender.Config{
		StreamName:      j.Target.Stream,
		Concurrency:     j.Limits.Concurrency,
		RetryTimeout:    j.Limits.RetryTimeout,
		ShutdownTimeout: j.Limits.ShutdownTimeout,
		Seed:            uint64(start.UnixNano()),
		ShardMap:        s.shards,
		Lister:          s.lister,
		Balance:         j.Balance,
		OnSent: func(recs []*sender.Record) {
			ck.markRecords(recs)
			tr.acknowledged(recs)
			pool.put(recs)
		},
		Aggregate:         j.Aggregate,
		AggregateMaxBytes: j.AggregateMaxBytes,
		MaxRecordBytes:    s.limit,
	}
}

// undelivered routes the records the sender could not deliver. Given up
// after its retry budget, a record goes to the reject file with its reason
// and is done. Not delivered because the run stopped, it stays undone in
// the checkpoint for the next run to send, or without one goes to the
// reject file to send again (nothing is wrong with the line, so it is not
// named: the summary counts it).
type undelivered struct {
	rej     *rejectFile
	tr      *tracker
	ck      *runCheckpoint
	stopped <-chan struct{} // the sender's, set before the first Put
}

// reject is the sender's RejectFunc.
func (u *undelivered) reject(r *sender.Record, reason string) {
	stopped := u.stopped
	if r.GivenUp() { // the sender's decision, even if the run stops at the same moment
		stopped = nil
	}
	select {
	case <-stopped:
		if u.ck != nil {
			u.tr.rejected(r, stoppedLeft)
			return
		}
		u.tr.rejected(r, stoppedRejects)
		u.rej.write(r.Data, "", "")
	default:
		u.tr.rejected(r, gaveUp)
		u.rej.write(r.Data, r.Where(), reason)
	}
	u.ck.markRecord(r) // done once it is in the reject file
}

// explainFatal turns an error that stopped the run into one line that says
// what is wrong, where, and the fix.
func (j *Job) explainFatal(fe *sender.FatalError) error {
	return awserr.Explain(context.Background(), fe.Err, j.op("PutRecords"))
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

func (j *Job) now() time.Time {
	if j.Now == nil {
		return time.Now()
	}
	return j.Now()
}
