package jsonscan

import "testing"

func TestScanner(t *testing.T) {
	s := Scanner{B: []byte(" \t{\r\n \"a\" } ")}
	if s.Take('[') {
		t.Fatal("took [ from {")
	}
	if s.I != 2 {
		t.Fatalf("after a failed Take, I = %d, want 2 (space skipped)", s.I)
	}
	if !s.Take('{') || s.AtEnd() {
		t.Fatal("want {, then more")
	}
	if !s.Take('"') || s.B[s.I] != 'a' {
		t.Fatalf("want the string's first byte, at %d", s.I)
	}
	s.I += 2
	if !s.Take('}') || !s.AtEnd() {
		t.Fatal("want } and then the end")
	}
	var empty Scanner
	if empty.Take('{') || !empty.AtEnd() {
		t.Fatal("an empty input has nothing to take and is at its end")
	}
}
