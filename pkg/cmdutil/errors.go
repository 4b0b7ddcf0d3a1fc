// Package cmdutil holds what every command shares: the Factory of
// dependencies, typed errors that carry exit codes, and flag helpers.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ldexport/ldexport/pkg/awserr"
	"github.com/spf13/pflag"
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

// Is makes errors.Is(err, ErrUsage) true for an exit-2 ExitError.
func (e *ExitError) Is(target error) bool { return target == ErrUsage && e.Code == ExitUsage }

// ErrUsage matches, with errors.Is, every usage error the project makes
// (FlagError, UsageErrorf, Usage): invalid input, exit 2. Cobra's own
// argument errors are plain strings; ExitCode recognises those.
var ErrUsage = errors.New("usage error")

// FlagError is a usage error: bad flags or arguments. The program prints one
// line, "Error: <message> (see '<command> --help')", and exits 2.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUsage) true for every FlagError.
func (e *FlagError) Is(target error) bool { return target == ErrUsage }

// FlagErrorf returns a FlagError with a formatted message.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// UsageErrorf returns an invalid-input error (exit 2) about the data rather
// than the command line (a bad line in a file, a checkpoint that does not
// match): one line, without the pointer to --help that a FlagError carries.
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
//
// An argument that is an interruption (context.Canceled, from Ctrl-C) is
// returned as is, so the exit code stays 130 whatever the format.
func RuntimeErrorf(format string, args ...any) error {
	for _, a := range args {
		if e, ok := a.(error); ok && errors.Is(e, context.Canceled) {
			return e
		}
	}
	return &ExitError{Code: ExitRuntime, Err: fmt.Errorf(format, args...)}
}

// TidyFlagError rewrites pflag's parsing errors into the project's words:
// `--concurrency: "x" is not a valid int` instead of the strconv detail.
func TidyFlagError(err error) error {
	var iv *pflag.InvalidValueError
	if errors.As(err, &iv) {
		f := iv.GetFlag()
		kind := valueType(f)
		switch kind {
		case "int", "int64", "uint", "uint64":
			kind = "whole number"
		case "float64":
			kind = "number"
		case "duration":
			kind = "duration such as 30s, 5m or 1h"
		case "bool":
			kind = "true or false"
		}
		return fmt.Errorf("--%s: %q is not a valid %s", f.Name, iv.GetValue(), kind)
	}
	return err
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
	for _, p := range []string{"unknown command ", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least ", "requires at most ", "invalid argument ",
		"required flag(s) ", "if any flags in the group ", "at least one of the flags in the group "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
