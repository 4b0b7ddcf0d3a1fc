package send_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// sendTo runs send with n events on stdin against endpoint and returns the
// result and the payloads.
func sendTo(t *testing.T, n int, endpoint, stream string, args ...string) (cli, [][]byte) {
	t.Helper()
	ev := events(n)
	payloads := make([][]byte, n)
	for i, e := range ev {
		payloads[i] = []byte(e)
	}
	args = append([]string{"send", "--stream", stream, "--endpoint-url", endpoint, "-o", "json"}, args...)
	return ldexport(t, []byte(strings.Join(ev, "\n")), args...), payloads
}

// Limits and every fault at once, on a small scale: nothing lost, duplicates
// only where a response was lost, and the summary owns up to them.
func TestSendLimitsAndFaults(t *testing.T) {
	setup(t)
	srv := kinesistest.NewServer(kinesistest.Options{Seed: 3, Limits: kinesistest.DefaultWriteLimits(), Faults: kinesistest.Faults{
		// High enough that every kind happens in the ~80 requests of this run.
		Request500: 0.1, RecordFailure: 0.1, LostResponse: 0.1, Reset: 0.1,
	}})
	defer srv.Close()
	if err := srv.CreateStream("s", 2); err != nil {
		t.Fatal(err)
	}
	c, sent := sendTo(t, 5000, srv.URL, "s", "--reject-file", filepath.Join(t.TempDir(), "rej"))
	if c.code != 0 {
		t.Fatalf("exit %d: %s", c.code, c.stderr)
	}
	s := summary(t, c)
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
	setup(t)
	srv := kinesistest.NewServer(kinesistest.Options{})
	defer srv.Close()
	if err := srv.CreateStream("s", 4); err != nil {
		t.Fatal(err)
	}
	c, _ := sendTo(t, 2000, srv.URL, "s", "--balance")
	if c.code != 0 {
		t.Fatalf("exit %d: %s", c.code, c.stderr)
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

func TestSendBalanceWithFieldKey(t *testing.T) {
	setup(t)
	c := ldexport(t, nil, "send", "--stream", "s", "--balance", "--partition-key", "event.contextKeys.user")
	if c.code != 2 || !strings.Contains(c.stderr, "--balance") || !strings.Contains(c.stderr, "--partition-key") {
		t.Fatalf("exit %d: %s", c.code, c.stderr)
	}
}

// --no-pace never lists the shards: nothing is paced until the stream
// throttles, and then the whole stream slows down by feedback, as without
// ListShards. It cannot be combined with --balance, which needs the map.
func TestSendNoPace(t *testing.T) {
	setup(t)
	srv := kinesistest.NewServer(kinesistest.Options{})
	defer srv.Close()
	if err := srv.CreateStream("s", 2); err != nil {
		t.Fatal(err)
	}
	c, sent := sendTo(t, 3000, srv.URL, "s", "--no-pace")
	if c.code != 0 {
		t.Fatalf("exit %d: %s", c.code, c.stderr)
	}
	diff := kinesistest.Compare(kinesistest.SentMultiset(sent), kinesistest.StoredMultiset(srv.Records("s")))
	if diff.Missing != 0 || diff.Duplicates != 0 || diff.Unexpected != 0 {
		t.Fatalf("diff %+v", diff)
	}
	if st := srv.Stats(); st.Operations["ListShards"] != 0 {
		t.Errorf("--no-pace listed the shards %d times", st.Operations["ListShards"])
	}
	c = ldexport(t, nil, "send", "--stream", "s", "--no-pace", "--balance")
	if c.code != 2 || !strings.Contains(c.stderr, "--no-pace") {
		t.Fatalf("--no-pace --balance: exit %d: %s", c.code, c.stderr)
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
	setup(t)
	srv := kinesistest.NewServer(kinesistest.Options{Limits: kinesistest.DefaultWriteLimits()})
	defer srv.Close()
	if err := srv.CreateStream("s", 1); err != nil {
		t.Fatal(err)
	}
	c, sent := sendTo(t, 4000, denyListShards(t, srv.URL), "s", "--balance")
	if c.code != 0 {
		t.Fatalf("exit %d: %s", c.code, c.stderr)
	}
	if !strings.Contains(c.stderr, "cannot list the shards") || !strings.Contains(c.stderr, "--balance ignored") {
		t.Fatalf("stderr: %s", c.stderr)
	}
	diff := kinesistest.Compare(kinesistest.SentMultiset(sent), kinesistest.StoredMultiset(srv.Records("s")))
	s := summary(t, c)
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

// A record still failing at its --retry-timeout goes to the reject file with
// its last error, and the exit is 1.
func TestSendRetryTimeoutUnderThrottling(t *testing.T) {
	setup(t)
	srv := kinesistest.NewServer(kinesistest.Options{Limits: &kinesistest.WriteLimits{RecordsPerSecond: 5, BytesPerSecond: 1 << 20}})
	defer srv.Close()
	if err := srv.CreateStream("s", 1); err != nil {
		t.Fatal(err)
	}
	rejects := filepath.Join(t.TempDir(), "rejects.ndjson")
	c, sent := sendTo(t, 100, srv.URL, "s", "--retry-timeout", "1s", "--reject-file", rejects)
	if c.code != 1 {
		t.Fatalf("exit %d: %s", c.code, c.stderr)
	}
	s := summary(t, c)
	stored := srv.Records("s")
	if s.Failed == 0 || s.Sent+s.Failed != 100 || s.Sent != int64(len(stored)) {
		t.Fatalf("summary %+v, %d stored", s, len(stored))
	}
	if !strings.Contains(c.stderr, "gave up after") || !strings.Contains(c.stderr, "ProvisionedThroughputExceededException") {
		t.Fatalf("stderr: %s", c.stderr)
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
