package ingest

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/ldexport/ldexport/pkg/ingest/ingesttest"
	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// TestRecycledRecordsKeepEveryLine: lines of every size from a few bytes to
// past the pool's 4 KiB buffers, mixed at random so that records come back
// from the pool with buffers too small, just right and too large for the
// next line (several times the 16 MiB budget, so most records are reused),
// with record failures, plain and aggregated: the stream holds every line
// once, byte for byte.
func TestRecycledRecordsKeepEveryLine(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	lines := make([]string, 30000)
	for i := range lines {
		size := rng.IntN(600)
		if rng.IntN(10) == 0 {
			size = rng.IntN(6000)
		}
		lines[i] = fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("p", size))
	}
	for _, aggregate := range []bool{false, true} {
		t.Run(fmt.Sprintf("aggregate %v", aggregate), func(t *testing.T) {
			srv := kinesistest.NewServer(kinesistest.Options{Seed: 9, Faults: kinesistest.Faults{RecordFailure: 0.1}})
			defer srv.Close()
			if err := srv.CreateStream("s", 2); err != nil {
				t.Fatal(err)
			}
			client := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
			j := Job{Stdin: strings.NewReader(strings.Join(lines, "\n")), Aggregate: aggregate, Rejects: filepath.Join(t.TempDir(), "rej"),
				Limits: Limits{Concurrency: 8, RetryTimeout: 10 * time.Minute}}
			c := run(t, t.Context(), j, client, false)
			if c.err != nil {
				t.Fatalf("%v: %s", c.err, c.notes)
			}
			if s := c.summary(); s.Sent != int64(len(lines)) {
				t.Fatalf("summary %+v", s)
			}
			got := ingesttest.Count(userRecords(t, ingesttest.StoredData(srv)))
			for _, l := range lines {
				got[l]--
			}
			for d, n := range got {
				if n != 0 {
					t.Fatalf("line %.40s… stored %d times too many", d, n)
				}
			}
			if st := srv.Stats(); st.Faults.RecordFailures == 0 {
				t.Fatalf("no record failure injected (%+v)", st.Faults)
			}
		})
	}
}
