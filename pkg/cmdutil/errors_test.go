package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/spf13/cobra"
)

// TestExitCodes: cobra's own usage errors, which reach Execute as plain
// errors, are exit 2 like ours.
func TestExitCodes(t *testing.T) {
	required := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	required.Flags().String("dest", "", "")
	_ = required.MarkFlagRequired("dest")
	required.SetArgs(nil)
	requiredErr := required.Execute()

	exclusive := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	exclusive.Flags().Bool("on", false, "")
	exclusive.Flags().Bool("off", false, "")
	exclusive.MarkFlagsMutuallyExclusive("on", "off")
	exclusive.SetArgs([]string{"--on", "--off"})
	exclusiveErr := exclusive.Execute()

	tests := []struct {
		name string
		err  error
		want int
	}{
		{"flag error", FlagErrorf("--x: bad"), ExitUsage},
		{"invalid input", UsageErrorf("a.ndjson:1: bad"), ExitUsage},
		{"run time", RuntimeErrorf("no stream"), ExitRuntime},
		{"interrupt", fmt.Errorf("stopped: %w", context.Canceled), ExitInterrupted},
		{"plain error", errors.New("boom"), ExitRuntime},
		{"cobra required flag", requiredErr, ExitUsage},
		{"cobra exclusive flags", exclusiveErr, ExitUsage},
		{"cobra unknown command", errors.New(`unknown command "x" for "ldexport"`), ExitUsage},
	}
	for _, tt := range tests {
		if tt.err == nil {
			t.Errorf("%s: no error to classify", tt.name)
			continue
		}
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("%s (%v): exit %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
}

// TestHostileInterruptThroughRuntimeErrorf: the LaunchDarkly commands wrap
// client errors as RuntimeErrorf("%v", err); Ctrl-C during `dest push` must
// still be exit 130, not 1 with "context canceled".
func TestHostileInterruptThroughRuntimeErrorf(t *testing.T) {
	err := RuntimeErrorf("%v", context.Canceled)
	if got := ExitCode(err); got != ExitInterrupted {
		t.Fatalf("ExitCode(RuntimeErrorf(%%v, context.Canceled)) = %d, want %d", got, ExitInterrupted)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("RuntimeErrorf(%%v, context.Canceled) lost context.Canceled, so Execute does not print \"interrupted\"")
	}
}
