package checkpoint

import (
	"bytes"
	"testing"
)

// FuzzParse checks that Parse never panics and that every state it accepts
// survives Marshal and Parse unchanged. Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"version":1,"stream":"s","complete":false,"files":[{"path":"/a","size":4,"modTime":"2026-11-26T06:15:33Z","sha256First1MiB":"4355a46b19d348dc2f57c046f8ef63d4538ebb936000f3c9ee954a27460dd865","low":2,"done":[[4,5],[9,9]],"records":4,"complete":false}],"updated":"2026-11-26T06:15:33Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		once, err := s.Marshal()
		if err != nil {
			t.Fatalf("accepted state does not marshal: %v", err)
		}
		s2, err := Parse(once)
		if err != nil {
			t.Fatalf("marshalled state not accepted: %v\n%s", err, once)
		}
		twice, err := s2.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once, twice) {
			t.Fatalf("round trip changed the state:\n%s\n%s", once, twice)
		}
	})
}
