package sender

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// answer is a PutRecords answer body with n copies of a result entry (JSON).
func answer(n int, entry string) []byte {
	entries := make([]string, n)
	for i := range entries {
		entries[i] = entry
	}
	return []byte(`{"FailedRecordCount":0,"Records":[` + strings.Join(entries, ",") + `]}`)
}

// clients are the two ways a Sender calls PutRecords: the SDK's client and
// the lean path, whose answers are read apart from the SDK's.
var clients = []struct {
	name string
	of   func(*fakeKinesis) PutRecordsAPI
}{
	{"sdk", func(f *fakeKinesis) PutRecordsAPI { return f.client() }},
	{"lean", func(f *fakeKinesis) PutRecordsAPI { return NewLeanClient(f.client(), 2) }},
}

// stored is a result entry that proves storage.
const stored = `{"SequenceNumber":"49000000000000000000000000000","ShardId":"shardId-000000000000"}`

// Success needs proof: an entry with no error code but no shard ID or no
// sequence number is not a delivery. The record is retried (a possible
// duplicate) and delivered when an answer proves it.
func TestHostileUnconfirmedEntriesAreRetried(t *testing.T) {
	for name, unproven := range map[string]string{
		"empty entry":        `{}`,
		"no sequence number": `{"ShardId":"shardId-000000000000"}`,
		"no shard ID":        `{"SequenceNumber":"1"}`,
		"empty strings":      `{"SequenceNumber":"","ShardId":""}`,
		"empty error code":   `{"ErrorCode":""}`,
	} {
		for _, client := range clients {
			t.Run(name+"/"+client.name, func(t *testing.T) {
				f := newFake(t, 1, func(c *kinesistest.Call) kinesistest.Reply {
					if c.N == 0 {
						return kinesistest.Reply{Body: answer(len(c.Records), unproven)}
					}
					return kinesistest.Reply{}
				})
				r := send(t, context.Background(), client.of(f), Config{StreamName: "s", Concurrency: 1}, records(3))
				if r.err != nil || r.stats.Sent != 3 || r.stats.Failed != 0 || r.stats.Retries != 3 || r.stats.PossibleDuplicates != 3 {
					t.Fatalf("err %v, stats %+v", r.err, r.stats)
				}
			})
		}
	}
}

// An endpoint that never proves a delivery gets every record rejected with
// the reason once the retry budget is spent, none counted as sent.
func TestHostileNeverConfirmedIsRejected(t *testing.T) {
	tests := []struct {
		name   string
		answer func(n int) []byte
		reason string
	}{
		{"entries without proof", func(n int) []byte { return answer(n, `{}`) },
			"answered without a shard ID and sequence number: delivery not confirmed"},
		{"no entries ({})", func(n int) []byte { return []byte(`{}`) }, "PutRecords answered 0 results for "},
		{"one entry short", func(n int) []byte { return answer(n-1, stored) },
			" results for "}, // retried records may travel in smaller batches
	}
	for _, tt := range tests {
		for _, client := range clients {
			t.Run(tt.name+"/"+client.name, func(t *testing.T) {
				f := newFake(t, 1, func(c *kinesistest.Call) kinesistest.Reply {
					return kinesistest.Reply{Body: tt.answer(len(c.Records))}
				})
				r := send(t, context.Background(), client.of(f), Config{StreamName: "s", Concurrency: 1, MaxAttempts: 3}, records(2))
				if r.stats.Sent != 0 || r.stats.Failed != 2 || r.stats.PossibleDuplicates != 6 {
					t.Fatalf("stats %+v", r.stats)
				}
				for d, reason := range r.rejected {
					if !strings.Contains(reason, "gave up after 3 attempts") || !strings.Contains(reason, tt.reason) {
						t.Errorf("%s rejected with %q, want %q", d, reason, tt.reason)
					}
				}
			})
		}
	}
}

// A request that gets no answer ends at the per-request limit, which the
// retry budget caps: a silent endpoint cannot hold a record longer than
// about twice --retry-timeout.
func TestHostileSilentPutRecordsBoundedByRetryTimeout(t *testing.T) {
	f := newFake(t, 1, func(*kinesistest.Call) kinesistest.Reply { return kinesistest.Reply{Hang: true} })
	start := time.Now()
	r := send(t, context.Background(), f.client(), Config{StreamName: "s", Concurrency: 1, RetryTimeout: 300 * time.Millisecond}, records(1))
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("took %s with --retry-timeout 300ms", took)
	}
	if r.stats.Sent != 0 || r.stats.Failed != 1 || r.stats.PossibleDuplicates < 1 {
		t.Fatalf("stats %+v", r.stats)
	}
	for _, reason := range r.rejected {
		if !strings.Contains(reason, "no answer: timed out after 300ms (per-request limit)") {
			t.Errorf("rejected with %q", reason)
		}
	}
}
