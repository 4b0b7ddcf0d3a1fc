package ingest

import (
	"errors"
	"fmt"
)

// Kind says what sort of failure an Error is, which decides how a command
// reports it (`ldexport send` exits 1, 2 or 130).
type Kind int

const (
	// Failed: the job failed (a reject file or checkpoint that could not
	// be written, Kinesis not reachable before sending).
	Failed Kind = iota
	// SendFailed: sending stopped on an error; the records not delivered
	// are in the reject file or left for the next run.
	SendFailed
	// NotDelivered: the job ran to its end, but not every record was
	// delivered (the rest is in the reject file).
	NotDelivered
	// BadInput: an input, a line or a file the job was given cannot be used
	// (a missing file, an invalid line under OnInvalid fail, a checkpoint
	// that does not match its inputs, a reject file that holds lines).
	BadInput
	// Interrupted: the context was cancelled.
	Interrupted
)

// Error is why a Job stopped, or that it did not deliver everything.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// badInput wraps err as a BadInput Error; nil stays nil.
func badInput(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: BadInput, Err: err}
}

func badInputf(format string, args ...any) error {
	return &Error{Kind: BadInput, Err: fmt.Errorf(format, args...)}
}

func failedf(format string, args ...any) error {
	return &Error{Kind: Failed, Err: fmt.Errorf(format, args...)}
}

// errNotDelivered ends a run that read everything but did not deliver it all.
var errNotDelivered = &Error{Kind: NotDelivered, Err: errors.New("not every record was delivered")}

// errInterrupted ends a run whose context was cancelled.
var errInterrupted = &Error{Kind: Interrupted, Err: errors.New("interrupted")}
