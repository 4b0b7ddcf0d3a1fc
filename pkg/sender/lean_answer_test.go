package sender

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// answerText writes out what the sender uses of an answer.
func answerText(a *putAnswer) string {
	p := func(s []byte) string {
		if s == nil {
			return "<nil>"
		}
		return fmt.Sprintf("%q", s)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "failed %d;", a.failed)
	for _, r := range a.entries {
		fmt.Fprintf(&b, " {%s %s %s %s}", p(r.code), p(r.msg), p(r.seq), p(r.shard))
	}
	return b.String()
}

// checkAnswer: what the scanner takes, it reads as fastjson does; what it
// leaves, fastjson reads as before; whether or not the body's size is known.
func checkAnswer(t *testing.T, b []byte) (scanned bool) {
	t.Helper()
	want := newPutAnswer()
	want.body = append(want.body, b...)
	wantErr := want.parse()
	defer want.release()
	entries, failed, ok := scanPutRecordsOutput(b, nil)
	if ok {
		if wantErr != nil {
			t.Fatalf("scanned %q, which fastjson rejects: %v", b, wantErr)
		}
		if got := answerText(&putAnswer{entries: entries, failed: failed}); got != answerText(want) {
			t.Fatalf("answer %q\nscanned  %s\nfastjson %s", b, got, answerText(want))
		}
	}
	for _, size := range []int64{int64(len(b)), -1, 0, 3} {
		got, gotErr := readPutRecordsOutput(onlyReader{bytes.NewReader(b)}, size)
		if (gotErr == nil) != (wantErr == nil) || gotErr == nil && answerText(got) != answerText(want) {
			t.Fatalf("answer %q of size %d: read %v %v, fastjson %v %v", b, size, got, gotErr, want, wantErr)
		}
		got.release()
	}
	return ok
}

var answerSeeds = []string{
	`{"FailedRecordCount":0,"Records":[{"SequenceNumber":"49590338271490256608559692538361571095921575989136588898","ShardId":"shardId-000000000000"}]}`,
	`{"FailedRecordCount":1,"Records":[{"SequenceNumber":"1","ShardId":"shardId-000000000001"},{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"slow down"},{"SequenceNumber":"2","ShardId":"shardId-000000000001"}],"EncryptionType":"KMS"}`,
	` { "Records" : [ ] , "FailedRecordCount" : -3 } `, `{"Records":[{}]}`, `{"Records":[]}`, `{}`, `{"Records":[{"ErrorCode":"X"}]}`,
	`{"Records":[{"ErrorCode":""}]}`, `{"Records":[{"ShardId":null}]}`, `{"Records":[{"Shard\u0049d":"a"}]}`, `{"Records":[{"ShardId":"a\"b"}]}`,
	`{"Records":[{"ShardId":"a","ShardId":"b"}]}`, `{"Records":[],"Records":[{"ShardId":"a"}]}`, `{"FailedRecordCount":1.0,"Records":[]}`,
	`{"FailedRecordCount":01,"Records":[]}`, `{"FailedRecordCount":99999999999999999999,"Records":[]}`, `{"FailedRecordCount":"1","Records":[]}`,
	`{"Records":[{"SequenceNumber":"1"}]}x`, `{"Records":[{"SequenceNumber":"1"},]}`, `{"Records":[{"SequenceNumber":"1"}`, `{"Other":1,"Records":[]}`,
	`{"Records":[1,{"ShardId":"a"}]}`, `{"Records":{"ShardId":"a"}}`, "{\"Records\":[{\"ShardId\":\"a\x01\"}]}", "{\"Records\":[{\"ShardId\":\"\xff\"}]}",
	`{"Records":[{"SequenceNumber":"1","ShardId":"s0"},{"SequenceNumber":"2","ShardId":"s1"},{"SequenceNumber":"3","ShardId":"s0"}]}`, ``, `[]`,
}

func TestScanPutRecordsOutputSeeds(t *testing.T) {
	scanned := 0
	for _, s := range answerSeeds {
		if checkAnswer(t, []byte(s)) {
			scanned++
		}
	}
	if scanned < 8 {
		t.Fatalf("only %d of the seeds scanned", scanned)
	}
}

// TestScanPutRecordsOutputMutated: random answers, and mutations of them.
func TestScanPutRecordsOutputMutated(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	interesting := []byte("{}[]:,\"\\ 0123456789-.eE\x00\x80nul")
	for range 2000 {
		var recs []map[string]string
		for range rng.IntN(6) {
			r := map[string]string{}
			if rng.IntN(4) == 0 {
				r["ErrorCode"] = []string{"ProvisionedThroughputExceededException", "InternalFailure", "K"}[rng.IntN(3)]
				if rng.IntN(2) == 0 {
					r["ErrorMessage"] = "slow down é"
				}
			} else {
				r["SequenceNumber"] = fmt.Sprint(rng.Int64())
				r["ShardId"] = fmt.Sprintf("shardId-%012d", rng.IntN(3))
			}
			recs = append(recs, r)
		}
		doc := map[string]any{"Records": recs}
		if rng.IntN(2) == 0 {
			doc["FailedRecordCount"] = rng.IntN(5)
		}
		b, _ := json.Marshal(doc)
		checkAnswer(t, b)
		for range 20 {
			m := bytes.Clone(b)
			pos := rng.IntN(len(m) + 1)
			switch rng.IntN(3) {
			case 0:
				if pos < len(m) {
					m[pos] = interesting[rng.IntN(len(interesting))]
				}
			case 1:
				m = append(m[:pos], append([]byte{interesting[rng.IntN(len(interesting))]}, m[pos:]...)...)
			case 2:
				if pos < len(m) {
					m = append(m[:pos], m[pos+1:]...)
				}
			}
			checkAnswer(t, m)
		}
	}
}

func FuzzScanPutRecordsOutput(f *testing.F) {
	for _, s := range answerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkAnswer(t, b) })
}

// BenchmarkReadPutRecordsOutput: a 500-record answer, scanned and through
// fastjson.
func BenchmarkReadPutRecordsOutput(b *testing.B) {
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(int64(len(okAnswer)))
		b.ReportAllocs()
		for b.Loop() {
			a, err := readPutRecordsOutput(onlyReader{bytes.NewReader(okAnswer)}, int64(len(okAnswer)))
			if err != nil {
				b.Fatal(err)
			}
			a.release()
		}
	})
	b.Run("fastjson", func(b *testing.B) {
		b.SetBytes(int64(len(okAnswer)))
		b.ReportAllocs()
		for b.Loop() {
			a := newPutAnswer()
			a.body = append(a.body, okAnswer...)
			if err := a.parse(); err != nil {
				b.Fatal(err)
			}
			a.release()
		}
	})
}

// TestPlainPrefix: every byte value at every position of short strings,
// alone and followed by another byte that ends a plain string (which the
// word-at-a-time flags may mark falsely above a marked byte).
func TestPlainPrefix(t *testing.T) {
	special := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 }
	for n := 0; n <= 20; n++ {
		for pos := 0; pos < n; pos++ {
			for c := range 256 {
				for _, later := range []int{-1, pos + 1, n - 1} {
					for _, c2 := range []byte{'"', '\\', 0, 0x1f, 0x20, '!', 0x80, 0xff} {
						b := bytes.Repeat([]byte("7"), n)
						b[pos] = byte(c)
						want := n
						if later > pos && later < n {
							b[later] = c2
							if special(c2) {
								want = later
							}
						}
						if special(byte(c)) {
							want = pos
						}
						if got := plainPrefix(b); got != want {
							t.Fatalf("plainPrefix(%q) = %d, want %d", b, got, want)
						}
					}
				}
			}
		}
	}
}

// What a record's verdict and a fatal error say are copies: an entry's
// bytes are the answer's buffer, which the next answer overwrites.
func TestEntryResultKeepsNothingOfTheAnswer(t *testing.T) {
	answer := []byte("InternalFailure" + "boom" + "Other" + "KMSNotFoundException" + "no key")
	part := func(i, j int) []byte { return answer[i:j:j] }
	res := result{batch: records(3)}
	s := &Sender{}
	s.entryResult(&res, 0, answerEntry{code: part(0, 15), msg: part(15, 19)})
	s.entryResult(&res, 1, answerEntry{code: part(19, 24)})
	s.entryResult(&res, 2, answerEntry{code: part(24, 44), msg: part(44, 50)})
	for i := range answer {
		answer[i] = 'X'
	}
	for i, want := range []string{"InternalFailure: boom", "Other", "KMSNotFoundException: no key"} {
		if got := res.verdict(i).err; got != want {
			t.Errorf("record %d: verdict %q, want %q", i, got, want)
		}
	}
	if res.fatal == nil || res.fatal.Code != "KMSNotFoundException" || !strings.Contains(res.fatal.Error(), "no key") {
		t.Errorf("fatal error %+v", res.fatal)
	}
}
