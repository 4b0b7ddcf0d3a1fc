package sender

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// okAnswer is a 500-record PutRecords answer as Kinesis writes it.
var okAnswer = []byte(`{"FailedRecordCount":0,"Records":[` + strings.TrimSuffix(strings.Repeat(`{"SequenceNumber":"49590338271490256608559692538361571095921575989136588898","ShardId":"shardId-000000000000"},`, 500), ",") + `]}`)

// onlyReader hides bytes.Reader's WriteTo, as an HTTP body has none.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// BenchmarkSettleAnswer reads a 500-record answer from a body and settles
// its entries, as a worker does after a lean PutRecords call.
func BenchmarkSettleAnswer(b *testing.B) {
	batch := records(500)
	for _, r := range batch {
		r.shardID = "shardId-000000000000"
	}
	s := &Sender{}
	b.SetBytes(int64(len(okAnswer)))
	b.ReportAllocs()
	for b.Loop() {
		settleAnswer(b, s, batch, onlyReader{bytes.NewReader(okAnswer)}, int64(len(okAnswer)))
	}
}

// settleAnswer reads an answer of size bytes from body and settles its
// entries for batch, as Sender.put does.
func settleAnswer(b *testing.B, s *Sender, batch []*Record, body io.Reader, size int64) {
	a, err := readPutRecordsOutput(body, size)
	if err != nil || len(a.entries) != len(batch) {
		b.Fatal(err)
	}
	res := result{batch: batch}
	for i, e := range a.entries {
		s.entryResult(&res, i, e)
	}
	a.release()
	if res.verdicts != nil || res.misrouted {
		b.Fatal("not settled")
	}
}
