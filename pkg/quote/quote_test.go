package quote

import (
	"strings"
	"testing"
)

func TestHostileInputQuoted(t *testing.T) {
	tests := []struct{ in, want string }{
		{"prod", `"prod"`},
		{"", `""`},
		{"prod\nx", `"prod\nx"`},
		{"\x1b[31mred", `"\x1b[31mred"`},
		{"\xff", `"\xff"`},
		{strings.Repeat("a", maxRunes), `"` + strings.Repeat("a", maxRunes) + `"`},
		{strings.Repeat("a", 100000), `"` + strings.Repeat("a", maxRunes) + `"… (100000 characters)`},
		{strings.Repeat("é", maxRunes+1), `"` + strings.Repeat("é", maxRunes) + `"… (81 characters)`},
	}
	for _, tt := range tests {
		got := Input(tt.in)
		if got != tt.want {
			t.Errorf("Input(%.20q) = %.120s, want %.120s", tt.in, got, tt.want)
		}
		if strings.ContainsAny(got, "\n\r\x1b") {
			t.Errorf("Input(%.20q) keeps a control character: %q", tt.in, got)
		}
	}
}
