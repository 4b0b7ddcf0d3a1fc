// Package ctxtime waits in step with a context: the pauses between retries
// and polls that every reader and API client takes, ended early by Ctrl-C or
// a deadline.
package ctxtime

import (
	"context"
	"time"
)

// Sleep waits for d, or returns ctx's error if ctx ends first. A d of zero
// or less returns at once, with ctx's error if it has ended.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
