package ldkey

import (
	"strings"
	"testing"
)

func TestHostileKeys(t *testing.T) {
	good := []string{"default", "production", "a", "A1", "my-project_2.0", "0", strings.Repeat("k", maxLen)}
	bad := []struct{ key, want string }{
		{"", "empty"},
		{"prod\nx", `"prod\nx"`},
		{"\x1b[31mred", `"\x1b[31mred"`},
		{"has space", "letters, digits"},
		{"-lead", "starting with a letter or digit"},
		{".lead", "starting with a letter or digit"},
		{"a/b", "letters, digits"},
		{"ключ", "letters, digits"},
		{strings.Repeat("k", maxLen+1), "longer than 100"},
		{strings.Repeat("a", 100000), "(100000 characters)"},
	}
	for _, check := range []func(string) error{ValidateProjectKey, ValidateEnvironmentKey} {
		for _, k := range good {
			if err := check(k); err != nil {
				t.Errorf("%q rejected: %v", k, err)
			}
		}
		for _, tt := range bad {
			err := check(tt.key)
			if err == nil {
				t.Errorf("%.30q accepted", tt.key)
				continue
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want) || strings.ContainsAny(msg, "\n\x1b") || len(msg) > 300 {
				t.Errorf("%.30q: error %q, want one short line containing %q", tt.key, msg, tt.want)
			}
		}
	}
}

func FuzzKey(f *testing.F) {
	for _, s := range []string{"production", "", "a\nb", "-x", strings.Repeat("k", 101)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateEnvironmentKey(s)
		if err == nil && (len(s) == 0 || len(s) > maxLen || strings.ContainsAny(s, " \n\r\t/\\\"'")) {
			t.Errorf("accepted %q", s)
		}
		if err != nil && strings.ContainsAny(err.Error(), "\n\r\x1b") {
			t.Errorf("error for %q breaks the line: %q", s, err)
		}
	})
}
