// Package jsonscan reads JSON tokens from a byte slice in place: the few
// steps the hand-written fast decoders (the lean PutRecords answer in
// pkg/sender, the PutRecords request in pkg/kinesistest) share. It checks
// nothing beyond the bytes it is asked about; a caller that cannot decode
// what it sees falls back to encoding/json.
package jsonscan

// Scanner reads from B at I.
type Scanner struct {
	B []byte
	I int
}

// Space skips JSON white space.
func (s *Scanner) Space() {
	for s.I < len(s.B) {
		switch s.B[s.I] {
		case ' ', '\t', '\n', '\r':
			s.I++
		default:
			return
		}
	}
}

// Take skips white space and then the byte c, or reports false (having
// skipped the space).
func (s *Scanner) Take(c byte) bool {
	s.Space()
	if s.I < len(s.B) && s.B[s.I] == c {
		s.I++
		return true
	}
	return false
}

// AtEnd skips white space and reports whether nothing is left.
func (s *Scanner) AtEnd() bool {
	s.Space()
	return s.I == len(s.B)
}
