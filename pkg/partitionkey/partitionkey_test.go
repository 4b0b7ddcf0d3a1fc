package partitionkey

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestKey(t *testing.T) {
	long := strings.Repeat("é", 300)
	tests := []struct {
		name   string
		spec   string
		data   string
		want   string // "" means a random key
		wantOK bool
	}{
		{"random", "random", `{"a":"b"}`, "", true},
		{"default is random", "", `{"a":"b"}`, "", true},
		{"string field", "event.contextKeys.user", `{"event":{"contextKeys":{"user":"alice"}}}`, "alice", true},
		{"escaped string", "k", `{"k":"a\"b\u00e9"}`, `a"bé`, true},
		{"number", "n", `{"n":12.5}`, "12.5", true},
		{"missing field", "event.contextKeys.user", `{"event":{}}`, "", true},
		{"object value", "event", `{"event":{}}`, "", true},
		{"null", "k", `{"k":null}`, "", true},
		{"empty string", "k", `{"k":""}`, "", true},
		{"256 chars kept", "k", `{"k":"` + strings.Repeat("é", 256) + `"}`, strings.Repeat("é", 256), true},
		{"too long is hashed", "k", `{"k":"` + long + `"}`, sha256Hex(long), true},
		{"bad path", "a..b", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.spec, 1)
			if (err == nil) != tt.wantOK {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				return
			}
			got := c.Key([]byte(tt.data))
			switch {
			case tt.want == "":
				if len(got) != randomLen || strings.Trim(got, "0123456789abcdef") != "" {
					t.Fatalf("got %q, want %d random hex chars", got, randomLen)
				}
				if again := c.Key([]byte(tt.data)); again == got {
					t.Fatalf("two random keys equal: %q", got)
				}
			default:
				if got != tt.want {
					t.Fatalf("got %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func BenchmarkKey(b *testing.B) {
	data := []byte(`{"project":"p","environment":"e","event":{"kind":"feature","contextKeys":{"user":"user-123"},"key":"f"},"version":1}`)
	for _, spec := range []string{"random", "event.contextKeys.user"} {
		b.Run(spec, func(b *testing.B) {
			c, _ := New(spec, 1)
			b.ReportAllocs()
			for b.Loop() {
				_ = c.Key(data)
			}
		})
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Random keys are made randomAhead at a time: across several refills each
// is still randomLen hex characters, all distinct, and the same seed gives
// the same keys.
func TestRandomKeysAcrossRefills(t *testing.T) {
	a, err := New("", 7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New("random", 7)
	seen := map[string]bool{}
	for i := range 5*randomAhead + 3 {
		k := a.Key([]byte(`{}`))
		if len(k) != randomLen || strings.Trim(k, "0123456789abcdef") != "" {
			t.Fatalf("key %d = %q, want %d hex characters", i, k, randomLen)
		}
		if seen[k] {
			t.Fatalf("key %d = %q repeats an earlier key", i, k)
		}
		seen[k] = true
		if kb := b.Key([]byte(`{"x":1}`)); kb != k {
			t.Fatalf("key %d: %q and %q from the same seed", i, k, kb)
		}
	}
}
