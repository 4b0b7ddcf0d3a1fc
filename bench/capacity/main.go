// Command capacity measures how `ldexport send` behaves against a Kinesis
// stream with write limits and faults, using the fake Kinesis of
// pkg/kinesistest in this process and the ldexport binary as a child
// process. It prints each figure with its target and ratio:
//
//   - capacity: 40,000 ~400-byte records into a 4-shard stream with the
//     per-shard write limits on: records/s from the first to the last stored
//     record (target ≥ 3,800/s, 95% of 4 × 1,000/s), throttled attempts
//     (≤ 10% of the records), lost and duplicated records (0);
//
//   - faults: 100,000 records with 10% failed requests (500), 20% failed
//     records, 5% lost responses and 5% resets: every record delivered,
//     exit 0, duplicates ≤ records in lost responses ≤ possibleDuplicates;
//
//   - memory: peak RSS (/usr/bin/time -v) while 50,000 records go into a
//     1-shard stream with limits on, which throttles throughout (< 64 MiB).
//
//     go run ./bench/capacity                 # all three
//     go run ./bench/capacity -run capacity   # one
//
// It exits 1 if a figure misses its target.
package main

import (
	"flag"
	"fmt"
	"github.com/ldexport/ldexport/pkg/ingest"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ldexport/ldexport/bench/internal/harness"
	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// figs are the figures printed against their targets.
var figs harness.Figures

func main() {
	bin := flag.String("ldexport", "", "ldexport binary (default: go build ./cmd/ldexport into a temp dir)")
	which := flag.String("run", "capacity,fallback,faults,memory,memory-fallback", "figures to measure")
	capN := flag.Int("capacity-records", 40000, "records for the capacity figure")
	faultN := flag.Int("fault-records", 100000, "records for the faults figure")
	memN := flag.Int("memory-records", 50000, "records for the memory figure")
	seed := flag.Uint64("seed", 1, "fault seed")
	flag.Parse()

	work, ldexport := harness.Setup("capacity", *bin)
	defer os.RemoveAll(work)
	*bin = ldexport
	for _, w := range strings.Split(*which, ",") {
		switch w {
		case "capacity":
			capacity(*bin, work, *capN)
		case "faults":
			faults(*bin, work, *faultN, *seed)
		case "memory":
			memory(*bin, work, *memN, false)
		case "memory-fallback":
			memory(*bin, work, *memN, true)
		case "fallback":
			fallback(*bin, work, *capN)
		default:
			fmt.Fprintf(os.Stderr, "-run: unknown figure %q\n", w)
			os.Exit(2)
		}
	}
	if figs.Missed {
		os.Exit(1)
	}
}

type runResult struct {
	sum    ingest.Summary
	code   int
	stderr string
	rssKiB int64
}

// send runs ldexport send with input on stdin, under /usr/bin/time -v when timed.
func send(bin, work, input, endpoint, stream string, timed bool) runResult {
	var r runResult
	r.code, r.stderr, r.rssKiB = harness.Run(bin, work, input, timed, &r.sum,
		"send", "--stream", stream, "--endpoint-url", endpoint, "--reject-file", filepath.Join(work, stream+".rejects"), "-o", "json")
	return r
}

func capacity(bin, work string, n int) {
	input, payloads := harness.Events(work, "capacity.ndjson", n)
	srv := kinesistest.NewServer(kinesistest.Options{Limits: kinesistest.DefaultWriteLimits(), DiscardData: true})
	defer srv.Close()
	harness.Check(srv.CreateStream("capacity", 4))
	r := send(bin, work, input, srv.URL, "capacity", false)
	recs := srv.Records("capacity")
	diff := kinesistest.Compare(kinesistest.SentMultiset(payloads), kinesistest.StoredMultiset(recs))
	st := srv.Stats()
	span := recs[len(recs)-1].ArrivalTime.Sub(recs[0].ArrivalTime).Seconds()
	rate := float64(len(recs)-1) / span
	fmt.Printf("capacity: %d records (%d bytes each) into 4 shards with write limits; exit %d; summary %+v\n", n, len(payloads[0]), r.code, r.sum)
	fmt.Printf("  stored %d records over %.2fs (first to last); the fake throttled %d record attempts\n", len(recs), span, st.RecordsThrottled)
	figs.Add("records/s", rate, 3800, true, "rec/s")
	figs.Add("throttled attempts", float64(st.RecordsThrottled), float64(n)/10, false, "records")
	figs.Add("lost", float64(diff.Missing), 0, false, "records")
	figs.Add("duplicated", float64(diff.Duplicates+diff.Unexpected), 0, false, "records")
	figs.Add("exit code", float64(r.code), 0, false, "")
}

// fallback is the capacity run with ListShards denied, as under LaunchDarkly's
// minimal policy: send paces the whole stream by throttling feedback. It has
// no target of its own; it shows what the fallback costs.
func fallback(bin, work string, n int) {
	input, payloads := harness.Events(work, "fallback.ndjson", n)
	srv := kinesistest.NewServer(kinesistest.Options{Limits: kinesistest.DefaultWriteLimits(), DiscardData: true})
	defer srv.Close()
	harness.Check(srv.CreateStream("fallback", 4))
	deny := denyListShards(srv.URL)
	defer deny.Close()
	r := send(bin, work, input, deny.URL, "fallback", false)
	recs := srv.Records("fallback")
	diff := kinesistest.Compare(kinesistest.SentMultiset(payloads), kinesistest.StoredMultiset(recs))
	st := srv.Stats()
	span := recs[len(recs)-1].ArrivalTime.Sub(recs[0].ArrivalTime).Seconds()
	fmt.Printf("fallback (ListShards denied): %d records into 4 shards with write limits; exit %d; summary %+v\n", n, r.code, r.sum)
	fmt.Printf("  stored %d records over %.2fs: %.1f records/s (%.3f of 4,000/s); the fake throttled %d record attempts (%.3f of the records); lost %d, duplicated %d, possibleDuplicates %d (informational, no target)\n",
		len(recs), span, float64(len(recs)-1)/span, float64(len(recs)-1)/span/4000, st.RecordsThrottled, float64(st.RecordsThrottled)/float64(n), diff.Missing, diff.Duplicates+diff.Unexpected, r.sum.PossibleDuplicates)
	// The proxy is a second HTTP hop; if it loses a response, send must
	// own up to the duplicates.
	if diff.Missing+diff.Unexpected != 0 || int64(diff.Duplicates) > r.sum.PossibleDuplicates || r.code != 0 {
		figs.Missed = true
	}
}

// denyListShards forwards every request to endpoint but ListShards, which
// gets AccessDeniedException as under LaunchDarkly's minimal policy.
func denyListShards(endpoint string) *httptest.Server {
	u, _ := url.Parse(endpoint)
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ErrorLog = log.New(io.Discard, "", 0) // a lost response is counted by the caller, not logged
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".ListShards") {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"AccessDeniedException","message":"not authorized to perform kinesis:ListShards"}`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
}

func faults(bin, work string, n int, seed uint64) {
	input, payloads := harness.Events(work, "faults.ndjson", n)
	srv := kinesistest.NewServer(kinesistest.Options{Seed: seed, DiscardData: true, Faults: kinesistest.Faults{
		Request500: 0.10, RecordFailure: 0.20, LostResponse: 0.05, Reset: 0.05,
	}})
	defer srv.Close()
	harness.Check(srv.CreateStream("faults", 4))
	start := time.Now()
	r := send(bin, work, input, srv.URL, "faults", false)
	recs := srv.Records("faults")
	diff := kinesistest.Compare(kinesistest.SentMultiset(payloads), kinesistest.StoredMultiset(recs))
	st := srv.Stats()
	fmt.Printf("faults: %d records, 10%% 500s, 20%% failed records, 5%% lost responses, 5%% resets, 4 shards, no limits; exit %d in %.1fs; summary %+v\n",
		n, r.code, time.Since(start).Seconds(), r.sum)
	fmt.Printf("  fake: %d requests, %d 500s, %d failed records, %d lost responses (%d records), %d resets\n",
		st.Requests, st.Faults.Request500, st.Faults.RecordFailures, st.Faults.LostResponses, st.Faults.LostResponseRecords, st.Faults.Resets)
	figs.Add("lost", float64(diff.Missing), 0, false, "records")
	figs.Add("exit code", float64(r.code), 0, false, "")
	figs.Add("duplicates vs lost-resp recs", float64(diff.Duplicates), float64(st.Faults.LostResponseRecords), false, "records")
	figs.Add("possibleDuplicates vs dups", float64(r.sum.PossibleDuplicates), float64(diff.Duplicates), true, "records")
	figs.Add("unexpected", float64(diff.Unexpected), 0, false, "records")
}

// memory measures peak RSS while the input is far faster than a 1-shard
// stream; with deny, ListShards is denied, so send paces by throttling
// feedback and the stream throttles all along.
func memory(bin, work string, n int, deny bool) {
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		fmt.Println("memory: skipped, /usr/bin/time missing (apt-get install -y time)")
		return
	}
	input, payloads := harness.Events(work, "memory.ndjson", n)
	srv := kinesistest.NewServer(kinesistest.Options{Limits: kinesistest.DefaultWriteLimits(), DiscardData: true})
	defer srv.Close()
	harness.Check(srv.CreateStream("memory", 1))
	endpoint, what := srv.URL, "memory"
	if deny {
		d := denyListShards(srv.URL)
		defer d.Close()
		endpoint, what = d.URL, "memory (ListShards denied)"
	}
	r := send(bin, work, input, endpoint, "memory", true)
	recs := srv.Records("memory")
	diff := kinesistest.Compare(kinesistest.SentMultiset(payloads), kinesistest.StoredMultiset(recs))
	st := srv.Stats()
	fmt.Printf("%s: %d records into 1 shard with write limits; exit %d in %.1fs; summary %+v; the fake throttled %d record attempts\n",
		what, n, r.code, r.sum.DurationSeconds, r.sum, st.RecordsThrottled)
	figs.Add("peak RSS", float64(r.rssKiB)/1024, 64, false, "MiB")
	figs.Add("lost", float64(diff.Missing), 0, false, "records")
	figs.Add("duplicated", float64(diff.Duplicates), float64(r.sum.PossibleDuplicates), false, "records")
}
