// Package cmdutil holds what every command shares: the Factory of
// dependencies, typed errors that carry exit codes, and flag helpers.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ldexport/ldexport/pkg/awserr"
)

// Exit codes from the CLI contract.
const (
	ExitOK          = 0
	ExitRuntime     = 1
	ExitUsage       = 2
	ExitInterrupted = 130
)

// ExitError is an error that says which exit code the program ends with.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// FlagError is a usage error: bad flags or arguments. The program prints the
// message and the command's usage, then exits 2.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf returns a FlagError with a formatted message.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// UsageErrorf returns an invalid-input error (exit 2) that does not print usage:
// a value was well-formed as a flag but not acceptable (a bad ARN, a bad line).
func UsageErrorf(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// Usage wraps err as an invalid-input error (exit 2); nil stays nil.
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return &ExitError{Code: ExitUsage, Err: err}
}

// RuntimeErrorf returns a run-time failure (exit 1).
func RuntimeErrorf(format string, args ...any) error {
	return &ExitError{Code: ExitRuntime, Err: fmt.Errorf(format, args...)}
}

// ErrCancel is returned when the user declines a prompt: exit 1, no message.
var ErrCancel = errors.New("cancelled")

// ErrSilent ends the program with exit 1 after the command already said why.
var ErrSilent = errors.New("silent failure")

// ExitCode maps an error to the contract's exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var fe *FlagError
	if errors.As(err, &fe) {
		return ExitUsage
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	// An AWS call that failed: 130 only when the user interrupted it; a
	// deadline is a run-time failure (1) whatever the SDK's chain holds.
	var ae *awserr.Error
	if errors.As(err, &ae) {
		if ae.Kind == awserr.Canceled {
			return ExitInterrupted
		}
		return ExitRuntime
	}
	if errors.Is(err, context.Canceled) {
		return ExitInterrupted
	}
	if IsCobraUsageError(err) {
		return ExitUsage
	}
	return ExitRuntime
}

// IsCobraUsageError recognises the errors cobra returns as plain strings for
// unknown commands and argument-count mistakes.
func IsCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command ", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least ", "requires at most ", "invalid argument "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
