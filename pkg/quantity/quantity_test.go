package quantity

import (
	"math"
	"strings"
	"testing"
)

func TestParseCount(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{in: "50000000", want: 50_000_000},
		{in: "50_000_000", want: 50_000_000},
		{in: "50M", want: 50_000_000},
		{in: "50m", want: 50_000_000},
		{in: "1.5B", want: 1_500_000_000},
		{in: "2k", want: 2_000},
		{in: "2K", want: 2_000},
		{in: "5e7", want: 50_000_000},
		{in: "5E+7", want: 50_000_000},
		{in: "1.5e3k", want: 1_500_000},
		{in: "0", want: 0},
		{in: " 7 ", want: 7},
		{in: "3T", want: 3_000_000_000_000},
		{in: "9223372036854775807", want: math.MaxInt64},
		{in: ".5k", want: 500},
		{in: "-5", wantErr: "must not be negative"},
		{in: "-5M", wantErr: "must not be negative"},
		{in: "", wantErr: "empty count"},
		{in: "abc", wantErr: "invalid count"},
		{in: "NaN", wantErr: "invalid count"},
		{in: "Inf", wantErr: "invalid count"},
		{in: "+Inf", wantErr: "invalid count"},
		{in: "0x10", wantErr: "invalid count"},
		{in: "1/2", wantErr: "invalid count"},
		{in: "5MM", wantErr: "invalid count"},
		{in: "M", wantErr: "invalid count"},
		{in: "_5", wantErr: "invalid count"},
		{in: "5__0", wantErr: "invalid count"},
		{in: "5_", wantErr: "invalid count"},
		{in: "1.5", wantErr: "not a whole number"},
		{in: "1.2345k", wantErr: "not a whole number"},
		{in: "5e-1", wantErr: "not a whole number"},
		{in: "9223372036854775808", wantErr: "too large"},
		{in: "1e999", wantErr: "too large"},
		{in: "1e9999", wantErr: "invalid count"},
		{in: "10T000", wantErr: "invalid count"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseCount(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseCount(%q) = %d, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseCount(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzParseCount(f *testing.F) {
	for _, s := range []string{"50000000", "50_000_000", "50M", "1.5B", "2k", "5e7", "-1", "NaN", "1e999", "_", ".", "1.", "9223372036854775807", "1_2.3_4e5k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseCount(s)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n") {
				t.Fatalf("multi-line error for %q: %v", s, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("ParseCount(%q) = %d: negative", s, n)
		}
		// Plain digits must read back as themselves.
		if d := strings.TrimSpace(s); d != "" && strings.Trim(d, "0123456789") == "" {
			if got := strings.TrimLeft(d, "0"); got != "" && got != itoa(n) {
				t.Fatalf("ParseCount(%q) = %d", s, n)
			}
		}
	})
}

func itoa(n int64) string {
	var b []byte
	if n == 0 {
		return "0"
	}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
