package ctxtime_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/ctxtime"
)

func TestSleep(t *testing.T) {
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		d       time.Duration
		want    error
		atLeast time.Duration
	}{
		{"waits the whole pause", context.Background(), 20 * time.Millisecond, nil, 20 * time.Millisecond},
		{"no pause", context.Background(), 0, nil, 0},
		{"negative pause", context.Background(), -time.Second, nil, 0},
		{"ended context, no pause", ended, 0, context.Canceled, 0},
		{"ended context cuts the pause short", ended, time.Hour, context.Canceled, 0},
	}
	for _, tt := range tests {
		start := time.Now()
		err := ctxtime.Sleep(tt.ctx, tt.d)
		took := time.Since(start)
		if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.want)
		}
		if took < tt.atLeast || took > tt.atLeast+5*time.Second {
			t.Errorf("%s: took %v, want at least %v and not much more", tt.name, took, tt.atLeast)
		}
	}
}

func TestSleepEndsWithTheDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := ctxtime.Sleep(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v after a 20ms deadline", took)
	}
}
