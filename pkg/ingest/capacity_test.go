package ingest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
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

// sendEvents sends n events from standard input to stream "s" at endpoint
// as `ldexport send` does by default (8 requests in flight, a 10-minute
// retry timeout, pacing by the shard map) unless j says otherwise, and
// returns the result and the payloads.
func sendEvents(t *testing.T, n int, endpoint string, j Job) (result, [][]byte) {
	t.Helper()
	ev := ingesttest.Events(n)
	payloads := make([][]byte, n)
	for i, e := range ev {
		payloads[i] = []byte(e)
	}
	j.Stdin = strings.NewReader(strings.Join(ev, "\n"))
	if j.Limits == (Limits{}) {
		j.Limits = Limits{Concurrency: 8, RetryTimeout: 10 * time.Minute}
	}
	client := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	return run(t, context.Background(), j, client, !j.NoPace), payloads
}

// Limits and every fault at once, on a small scale: nothing lost, duplicates
// only where a response was lost, and the summary owns up to them.
func TestSendLimitsAndFaults(t *testing.T) {
	srv := kinesistest.NewServer(kinesistest.Options{Seed: 3, Limits: kinesistest.DefaultWriteLimits(), Faults: kinesistest.Faults{
		// High enough that every kind happens in the ~80 requests of this run.
		Request500: 0.1, RecordFailure: 0.1, LostResponse: 0.1, Reset: 0.1,
	}})
	defer srv.Close()
	if err := srv.CreateStream("s", 2); err != nil {
		t.Fatal(err)
	}
	c, sent := sendEvents(t, 5000, srv.URL, Job{Rejects: filepath.Join(t.TempDir(), "rej")})
	if c.err != nil {
		t.Fatalf("%v: %s", c.err, c.notes)
	}
	s := c.summary()
	diff := kinesistest.Compare(kinesistest.SentMultiset(sent), kinesistest.StoredMultiset(srv.Records("s")))
	st := srv.Stats()
	if diff.Missing != 0 || diff.Unexpected != 0 || int64(diff.Duplicates) > st.Faults.LostResponseRecords {
		t.Fatalf("diff %+v, lost-response records %d", diff, st.Faults.LostResponseRecords)
	}
	if s.Records != 5000 || s.Sent != 5000 || s.Failed != 0 || s.PossibleDuplicates < int64(diff.Duplicates) {
		t.Fatalf("summary %+v, %d duplicates stored", s, diff.Duplicates)
	}
	if st.Faults.LostResponses == 0 || st.Faults.Resets == 0 || st.Faults.RecordFailures == 0 || st.Faults.Request500 == 0 {
		t.Fatalf("not every fault happened: %+v", st.Faults)
	}
}

func TestSendBalance(t *testing.T) {
	srv := kinesistest.NewServer(kinesistest.Options{})
	defer srv.Close()
	if err := srv.CreateStream("s", 4); err != nil {
		t.Fatal(err)
	}
	c, _ := sendEvents(t, 2000, srv.URL, Job{Balance: true})
	if c.err != nil {
		t.Fatalf("%v: %s", c.err, c.notes)
	}
	per := map[string]int{}
	for _, r := range srv.Records("s") {
		if r.ExplicitHashKey == "" {
			t.Fatalf("record without ExplicitHashKey under --balance: %+v", r)
		}
		per[r.ShardID]++
	}
	if len(per) != 4 {
		t.Fatalf("records per shard %v", per)
	}
	for id, n := range per {
		if n != 500 {
			t.Fatalf("shard %s holds %d records, want 500 (records per shard %v)", id, n, per)
		}
	}
}

// NoPace never lists the shards: nothing is paced until the stream
// throttles, and then the whole stream slows down by feedback, as without
// ListShards.
func TestSendNoPace(t *testing.T) {
	srv := kinesistest.NewServer(kinesistest.Options{})
	defer srv.Close()
	if err := srv.CreateStream("s", 2); err != nil {
		t.Fatal(err)
	}
	c, sent := sendEvents(t, 3000, srv.URL, Job{NoPace: true})
	if c.err != nil {
		t.Fatalf("%v: %s", c.err, c.notes)
	}
	diff := kinesistest.Compare(kinesistest.SentMultiset(sent), kinesistest.StoredMultiset(srv.Records("s")))
	if diff.Missing != 0 || diff.Duplicates != 0 || diff.Unexpected != 0 {
		t.Fatalf("diff %+v", diff)
	}
	if st := srv.Stats(); st.Operations["ListShards"] != 0 {
		t.Errorf("--no-pace listed the shards %d times", st.Operations["ListShards"])
	}
}

// denyListShards forwards everything to next but ListShards, which gets
// AccessDeniedException as under LaunchDarkly's minimal policy.
func denyListShards(t *testing.T, next string) string {
	u, _ := url.Parse(next)
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".ListShards") {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"AccessDeniedException","message":"User is not authorized to perform: kinesis:ListShards"}`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Without ListShards the whole stream is paced by throttling feedback:
// everything arrives once, and throttling settles instead of storming.
func TestSendWithoutListShards(t *testing.T) {
	srv := kinesistest.NewServer(kinesistest.Options{Limits: kinesistest.DefaultWriteLimits()})
	defer srv.Close()
	if err := srv.CreateStream("s", 1); err != nil {
		t.Fatal(err)
	}
	c, sent := sendEvents(t, 4000, denyListShards(t, srv.URL), Job{Balance: true})
	if c.err != nil {
		t.Fatalf("%v: %s", c.err, c.notes)
	}
	if !strings.Contains(c.notes, "cannot list the shards") || !strings.Contains(c.notes, "--balance ignored") {
		t.Fatalf("stderr: %s", c.notes)
	}
	diff := kinesistest.Compare(kinesistest.SentMultiset(sent), kinesistest.StoredMultiset(srv.Records("s")))
	s := c.summary()
	// The proxy is a second HTTP hop: a response it loses may duplicate
	// records, which the summary must own up to.
	if diff.Missing != 0 || diff.Unexpected != 0 || int64(diff.Duplicates) > s.PossibleDuplicates {
		t.Fatalf("diff %+v, possibleDuplicates %d", diff, s.PossibleDuplicates)
	}
	// Unpaced, 8 requests of 500 records against 1,000/s throttle most
	// attempts for seconds; paced, the throttled attempts stay near the
	// records sent.
	st := srv.Stats()
	t.Logf("throttled %d attempts for %d records, %d requests", st.RecordsThrottled, s.Sent, s.Requests)
	if s.Throttled != st.RecordsThrottled || st.RecordsThrottled > 2*4000 {
		t.Fatalf("summary %+v, the fake throttled %d", s, st.RecordsThrottled)
	}
}

// A record still failing at its retry timeout goes to the reject file with
// its last error, and the job did not deliver everything.
func TestSendRetryTimeoutUnderThrottling(t *testing.T) {
	srv := kinesistest.NewServer(kinesistest.Options{Limits: &kinesistest.WriteLimits{RecordsPerSecond: 5, BytesPerSecond: 1 << 20}})
	defer srv.Close()
	if err := srv.CreateStream("s", 1); err != nil {
		t.Fatal(err)
	}
	rejects := filepath.Join(t.TempDir(), "rejects.ndjson")
	c, sent := sendEvents(t, 100, srv.URL, Job{Rejects: rejects, Limits: Limits{Concurrency: 8, RetryTimeout: time.Second}})
	if c.kind() != NotDelivered {
		t.Fatalf("%v: %s", c.err, c.notes)
	}
	s := c.summary()
	stored := srv.Records("s")
	if s.Failed == 0 || s.Sent+s.Failed != 100 || s.Sent != int64(len(stored)) {
		t.Fatalf("summary %+v, %d stored", s, len(stored))
	}
	if !strings.Contains(c.notes, "gave up after") || !strings.Contains(c.notes, "ProvisionedThroughputExceededException") {
		t.Fatalf("stderr: %s", c.notes)
	}
	data, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	if int64(len(lines)) != s.Failed {
		t.Fatalf("%d lines in the reject file, %d failed", len(lines), s.Failed)
	}
	// Every line is either stored or rejected, never both.
	all := append(lines, nil)[:len(lines)]
	for _, r := range stored {
		all = append(all, r.Data)
	}
	if diff := kinesistest.Compare(kinesistest.SentMultiset(sent), kinesistest.SentMultiset(all)); diff.Missing != 0 || diff.Duplicates != 0 || diff.Unexpected != 0 {
		t.Fatalf("stored + rejected vs sent: %+v", diff)
	}
}
