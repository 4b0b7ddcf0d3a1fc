package iostreams

import (
	"os"
	"testing"

	"golang.org/x/term"
)

func TestColorFromEnv(t *testing.T) {
	tests := []struct {
		name string
		tty  bool
		env  map[string]string
		want bool
	}{
		{"terminal", true, nil, true},
		{"pipe", false, nil, false},
		{"NO_COLOR on a terminal", true, map[string]string{"NO_COLOR": "1"}, false},
		{"empty NO_COLOR is unset", true, map[string]string{"NO_COLOR": ""}, true},
		{"TERM=dumb on a terminal", true, map[string]string{"TERM": "dumb"}, false},
		{"TERM=xterm on a terminal", true, map[string]string{"TERM": "xterm-256color"}, true},
		{"CLICOLOR_FORCE on a pipe", false, map[string]string{"CLICOLOR_FORCE": "1"}, true},
		{"CLICOLOR_FORCE beats TERM=dumb", true, map[string]string{"CLICOLOR_FORCE": "1", "TERM": "dumb"}, true},
		{"CLICOLOR_FORCE=0 is unset", false, map[string]string{"CLICOLOR_FORCE": "0"}, false},
		{"NO_COLOR beats CLICOLOR_FORCE", false, map[string]string{"NO_COLOR": "1", "CLICOLOR_FORCE": "1"}, false},
	}
	for _, tt := range tests {
		got := colorFromEnv(tt.tty, func(k string) string { return tt.env[k] })
		if got != tt.want {
			t.Errorf("%s: colour %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSetColorEnabledCoversBothStreams(t *testing.T) {
	s, _, _, _ := Test()
	if s.ColorEnabled() || s.ErrColorEnabled() {
		t.Fatal("test streams start with colour on")
	}
	s.SetColorEnabled(true)
	if !s.ColorEnabled() || !s.ErrColorEnabled() {
		t.Error("SetColorEnabled(true) left a stream without colour")
	}
	s.SetColorEnabled(false)
	if s.ColorEnabled() || s.ErrColorEnabled() {
		t.Error("SetColorEnabled(false) left a stream with colour")
	}
}

// TestCanPromptNeedsStdinAndStderrTerminals: a prompt is read from stdin and
// written to stderr, so both must be terminals; stdout may be piped.
func TestCanPromptNeedsStdinAndStderrTerminals(t *testing.T) {
	for _, tt := range []struct {
		stdin, stdout, stderr, want bool
	}{
		{true, true, true, true},
		{true, false, true, true},
		{false, true, true, false},
		{true, true, false, false},
		{false, false, false, false},
	} {
		s, _, _, _ := Test()
		s.SetStdinTTY(tt.stdin)
		s.SetStdoutTTY(tt.stdout)
		s.SetStderrTTY(tt.stderr)
		// Standard input's setting shows in CanPrompt (nothing else reads it).
		if s.IsStdoutTTY() != tt.stdout || s.IsStderrTTY() != tt.stderr {
			t.Errorf("set %v/%v, read back %v/%v", tt.stdout, tt.stderr, s.IsStdoutTTY(), s.IsStderrTTY())
		}
		if got := s.CanPrompt(); got != tt.want {
			t.Errorf("stdin %v, stdout %v, stderr %v: CanPrompt %v, want %v", tt.stdin, tt.stdout, tt.stderr, got, tt.want)
		}
	}
}

// TestTestStreamsAreBuffers: Test's streams write to and read from the
// buffers it returns, and nothing is a terminal.
func TestTestStreamsAreBuffers(t *testing.T) {
	s, in, out, errOut := Test()
	in.WriteString("y\n")
	b := make([]byte, 2)
	if n, _ := s.In.Read(b); string(b[:n]) != "y\n" {
		t.Errorf("In read %q", b[:n])
	}
	_, _ = s.Out.Write([]byte("out"))
	_, _ = s.ErrOut.Write([]byte("err"))
	if out.String() != "out" || errOut.String() != "err" {
		t.Errorf("Out %q, ErrOut %q", out, errOut)
	}
	if s.IsStdoutTTY() || s.IsStderrTTY() || s.CanPrompt() {
		t.Error("a test stream claims to be a terminal")
	}
	// With stderr a terminal, only stdin stands between it and a prompt.
	s.SetStderrTTY(true)
	if s.CanPrompt() {
		t.Error("Test's stdin claims to be a terminal")
	}
}

// TestSystemUsesTheProcessStreams: System wraps os.Stdin, os.Stdout and
// os.Stderr; under `go test` stdout is not a terminal (the go command
// reads it), so neither are its colour and TTY flags.
func TestSystemUsesTheProcessStreams(t *testing.T) {
	t.Setenv("CLICOLOR_FORCE", "")
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm")
	s := System()
	if s.In != os.Stdin || s.Out != os.Stdout || s.ErrOut != os.Stderr {
		t.Fatal("System does not use the process's streams")
	}
	if s.IsStdoutTTY() != term.IsTerminal(int(os.Stdout.Fd())) || s.ColorEnabled() != s.IsStdoutTTY() {
		t.Errorf("stdout TTY %v, colour %v; the terminal says %v", s.IsStdoutTTY(), s.ColorEnabled(), term.IsTerminal(int(os.Stdout.Fd())))
	}
}
