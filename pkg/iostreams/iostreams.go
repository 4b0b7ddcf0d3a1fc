// Package iostreams is the one place that knows whether the program talks to a
// terminal: whether stdin, stdout and stderr are terminals, whether colour is
// on, and whether the program may prompt. Tests get in-memory buffers.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams carries the program's standard streams and what is known of them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY     bool
	stdoutTTY    bool
	stderrTTY    bool
	colorEnabled bool // on stdout
	errColor     bool // on stderr (the send summary)
}

// System returns the process's own streams, with terminal detection and the
// colour rules of colorFromEnv, decided for stdout and stderr apiece.
func System() *IOStreams {
	s := &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
	}
	s.colorEnabled = colorFromEnv(s.stdoutTTY, os.Getenv)
	s.errColor = colorFromEnv(s.stderrTTY, os.Getenv)
	return s
}

// colorFromEnv decides whether colour is on for a stream, in this order:
// NO_COLOR (any non-empty value, https://no-color.org) turns it off;
// CLICOLOR_FORCE (non-empty, not "0") turns it on, even when piped;
// TERM=dumb turns it off; otherwise colour follows whether the stream is a
// terminal. The --no-color flag, applied later with SetColorEnabled, wins
// over all of them.
func colorFromEnv(isTTY bool, getenv func(string) string) bool {
	if getenv("NO_COLOR") != "" {
		return false
	}
	if v := getenv("CLICOLOR_FORCE"); v != "" && v != "0" {
		return true
	}
	if getenv("TERM") == "dumb" {
		return false
	}
	return isTTY
}

func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}

// Test returns streams backed by buffers; nothing is a terminal and colour is off.
func Test() (ios *IOStreams, in *bytes.Buffer, out *bytes.Buffer, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// IsStdoutTTY reports whether standard output is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether standard error is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdinTTY overrides terminal detection for standard input (tests).
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY overrides terminal detection for standard output (tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY overrides terminal detection for standard error (tests).
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// ColorEnabled reports whether standard output may carry colour.
func (s *IOStreams) ColorEnabled() bool { return s.colorEnabled }

// ErrColorEnabled reports whether standard error may carry colour.
func (s *IOStreams) ErrColorEnabled() bool { return s.errColor }

// SetColorEnabled turns colour on or off on both streams (the --no-color
// flag, tests).
func (s *IOStreams) SetColorEnabled(v bool) { s.colorEnabled, s.errColor = v, v }

// CanPrompt reports whether the program may ask the user a question: both
// standard input and standard error must be terminals.
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stderrTTY }
