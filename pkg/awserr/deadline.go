package awserr

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Deadline is a named time limit that ran out: a command's own deadline
// ("--timeout") or a limit on one attempt of one call ("per-attempt limit").
// It is the cause of a context made by WithDeadline, so that a timeout can
// say which limit it hit. errors.Is(d, context.DeadlineExceeded) is true.
type Deadline struct {
	Name  string        // "--timeout", "--retry-timeout", "per-attempt limit"
	After time.Duration // the limit
}

func (d *Deadline) Error() string {
	return fmt.Sprintf("timed out after %s (%s)", d.After, d.Name)
}

// Is makes a Deadline match context.DeadlineExceeded.
func (d *Deadline) Is(target error) bool { return target == context.DeadlineExceeded }

// WithDeadline returns a context that ends after d, with a *Deadline named
// name as its cause (context.Cause), so Explain can say which limit ran out.
func WithDeadline(ctx context.Context, d time.Duration, name string) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, &Deadline{Name: name, After: d})
}

// ContextErr says why ctx ended: a *Error of kind Canceled when the user
// interrupted (ctx cancelled), of kind Timeout naming the limit when a
// WithDeadline deadline ran out; nil while ctx is live. Every command
// checks its context with this after a failed call, because the call's own
// error may blur the two (a request context cancelled after its parent's
// deadline reports "context canceled").
func ContextErr(ctx context.Context, op Op) *Error {
	if ctx.Err() == nil {
		return nil
	}
	var dl *Deadline
	if cause := context.Cause(ctx); errors.As(cause, &dl) {
		return &Error{Op: op, Kind: Timeout, Err: dl}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Op: op, Kind: Timeout, Err: context.DeadlineExceeded}
	}
	return &Error{Op: op, Kind: Canceled, Err: context.Canceled}
}
