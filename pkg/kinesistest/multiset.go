package kinesistest

// Multiset counts records by the FNV-64a hash of their data (see
// [HashData]), so it works the same with and without
// [Options.DiscardData]. Two different payloads with the same 64-bit hash
// would count as one; for test data that chance is negligible.
type Multiset map[uint64]int

// Add counts one record with this data.
func (m Multiset) Add(data []byte) { m[HashData(data)]++ }

// SentMultiset counts the payloads a test sent (each attempt's payload once,
// however often it was resent).
func SentMultiset(payloads [][]byte) Multiset {
	m := make(Multiset, len(payloads))
	for _, p := range payloads {
		m.Add(p)
	}
	return m
}

// StoredMultiset counts the records a server stored, from [Server.Records].
func StoredMultiset(records []Record) Multiset {
	m := make(Multiset, len(records))
	for _, r := range records {
		m[r.DataHash]++
	}
	return m
}

// Diff compares what was sent with what was stored.
type Diff struct {
	Sent, Stored int
	// Missing counts sent records stored fewer times than sent (lost).
	Missing int
	// Duplicates counts extra stored copies beyond what was sent.
	Duplicates int
	// Unexpected counts stored records that were never sent.
	Unexpected int
}

// Compare counts, payload by payload, records that were sent but not
// stored, stored more often than sent, or stored but never sent.
func Compare(sent, stored Multiset) Diff {
	var d Diff
	for h, n := range sent {
		d.Sent += n
		if got := stored[h]; got < n {
			d.Missing += n - got
		} else {
			d.Duplicates += got - n
		}
	}
	for h, n := range stored {
		d.Stored += n
		if _, ok := sent[h]; !ok {
			d.Unexpected += n
		}
	}
	return d
}

// CountDuplicates returns how many stored records are extra copies of a
// sent payload: Compare(SentMultiset(sent), StoredMultiset(stored)).Duplicates.
func CountDuplicates(sent [][]byte, stored []Record) int {
	return Compare(SentMultiset(sent), StoredMultiset(stored)).Duplicates
}
