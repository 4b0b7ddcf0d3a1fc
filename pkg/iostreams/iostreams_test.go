package iostreams

import "testing"

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
