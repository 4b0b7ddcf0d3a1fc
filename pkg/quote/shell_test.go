package quote

import "testing"

func TestShell(t *testing.T) {
	for s, want := range map[string]string{
		"events.ndjson": "events.ndjson", "http://127.0.0.1:4567": "http://127.0.0.1:4567",
		"/my dir/it's.yaml": `'/my dir/it'\''s.yaml'`, "": "''", "a;b": "'a;b'",
	} {
		if got := Shell(s); got != want {
			t.Errorf("Shell(%q) = %q, want %q", s, got, want)
		}
	}
}
