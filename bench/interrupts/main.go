// Command interrupts measures what `ldexport send --checkpoint` loses or
// duplicates when it is interrupted and resumed:
//
//	go run ./bench/interrupts -runs 20 -lines 20000
//
// It builds ldexport, starts pkg/kinesistest's fake Kinesis in process
// (with latency on every request, so interrupts land while requests are in
// flight, and no other faults), and writes the input: two files, one plain
// with blank lines, one gzip. Each run sends them to a fresh stream with a
// fresh checkpoint; every attempt gets a SIGINT after a random delay (the
// first one within the first half of an uninterrupted run's time), and the
// same command is run again until it exits 0. Then the stream is
// compared with the input, line by line as a multiset: with no lost
// responses every line must be stored exactly once.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/ldexport/ldexport/pkg/ingest"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// Config is one measurement.
type Config struct {
	Runs        int           // independent runs, each to its own stream
	Lines       int           // input records (non-blank lines)
	Seed        uint64        // input and interrupt delays
	MaxDelay    time.Duration // SIGINT after a delay uniform in [MinDelay, MaxDelay]; 0: 90% of an uninterrupted run's time
	MinDelay    time.Duration
	LatencyMin  time.Duration // every PutRecords answer is delayed within [LatencyMin, LatencyMax]
	LatencyMax  time.Duration
	MaxAttempts int // per run, before giving up
	Concurrency int // ldexport --concurrency
	Log         io.Writer
}

// Result is what the runs found.
type Result struct {
	Runs        int    `json:"runs"`
	Lines       int    `json:"linesPerRun"`
	FullRun     string `json:"uninterruptedRun"` // how long one uninterrupted run took (calibration)
	MaxDelay    string `json:"maxDelay"`         // the longest delay before SIGINT
	RunsHit     int    `json:"runsInterrupted"`  // runs interrupted at least once
	Attempts    int    `json:"attempts"`         // ldexport processes started, in all
	Interrupted int    `json:"interrupted"`      // attempts that exited 130
	Early       int    `json:"early"`            // attempts killed by the signal before ldexport handled it
	MidFlight   int    `json:"midFlight"`        // interrupted attempts that had records acknowledged and records not yet delivered
	Unsent      int64  `json:"unsent"`           // records read but not delivered at the interrupts, left for the next attempt
	Skipped     int64  `json:"skipped"`          // records skipped as done by resumed attempts, in all
	Lost        int    `json:"lost"`             // input lines not in the stream, summed over runs
	Duplicated  int    `json:"duplicated"`       // extra copies in the stream, summed over runs
	Unexpected  int    `json:"unexpected"`       // stored records that are not input lines
	Stored      int    `json:"stored"`           // records in the streams, in all
	Rejected    int64  `json:"rejected"`         // bytes in the reject files (none expected)
	Requests    int64  `json:"requests"`         // PutRecords requests the fake answered
}

func main() {
	cfg := Config{Log: os.Stderr}
	flag.IntVar(&cfg.Runs, "runs", 20, "independent interrupted-and-resumed runs")
	flag.IntVar(&cfg.Lines, "lines", 20000, "input records per run")
	flag.Uint64Var(&cfg.Seed, "seed", uint64(time.Now().UnixNano()), "seed for the input and the interrupt delays")
	flag.DurationVar(&cfg.MinDelay, "min-delay", 50*time.Millisecond, "shortest delay before SIGINT")
	flag.DurationVar(&cfg.MaxDelay, "max-delay", 0, "longest delay before SIGINT (0: 90% of an uninterrupted run's time)")
	flag.DurationVar(&cfg.LatencyMin, "latency-min", 20*time.Millisecond, "shortest PutRecords latency")
	flag.DurationVar(&cfg.LatencyMax, "latency-max", 150*time.Millisecond, "longest PutRecords latency")
	flag.IntVar(&cfg.MaxAttempts, "max-attempts", 100, "attempts per run before giving up")
	flag.IntVar(&cfg.Concurrency, "concurrency", 4, "ldexport --concurrency")
	flag.Parse()
	fmt.Fprintf(os.Stderr, "seed %d\n", cfg.Seed)
	res, err := Run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "interrupts:", err)
		os.Exit(1)
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	fmt.Println(string(b))
	if res.Lost+res.Duplicated+res.Unexpected > 0 || res.Rejected > 0 {
		os.Exit(1)
	}
}

// Run builds ldexport and performs the runs.
func Run(cfg Config) (Result, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	res := Result{Runs: cfg.Runs, Lines: cfg.Lines}
	dir, err := os.MkdirTemp("", "interrupts-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "ldexport")
	root, err := moduleRoot()
	if err != nil {
		return res, err
	}
	build := exec.Command("go", "build", "-o", bin, "./cmd/ldexport")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return res, fmt.Errorf("go build: %v\n%s", err, out)
	}

	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	lines := makeLines(cfg.Lines, rng)
	files, err := writeInputs(dir, lines)
	if err != nil {
		return res, err
	}
	srv := kinesistest.NewServer(kinesistest.Options{
		Seed:        cfg.Seed,
		DiscardData: true, // hashes are enough to compare
		Faults:      kinesistest.Faults{Latency: 1, LatencyMin: cfg.LatencyMin, LatencyMax: cfg.LatencyMax},
	})
	defer srv.Close()
	sent := kinesistest.Multiset{}
	for _, l := range lines {
		sent.Add([]byte(l))
	}

	env := append(os.Environ(), "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true", "LDEXPORT_CONFIG="+filepath.Join(dir, "config.yaml"), "NO_COLOR=1")
	argsFor := func(stream string) ([]string, string, error) {
		if err := srv.CreateStream(stream, 2); err != nil {
			return nil, "", err
		}
		ck := filepath.Join(dir, stream+".checkpoint.json")
		rej := filepath.Join(dir, stream+".rejects.ndjson")
		return append(append([]string{"send"}, files...), "--stream", stream, "--endpoint-url", srv.URL,
			"--checkpoint", ck, "--reject-file", rej, "--concurrency", fmt.Sprint(cfg.Concurrency), "-o", "json"), rej, nil
	}
	// Calibration: one run without interrupt, to draw delays within a run's time.
	args, _, err := argsFor("calibration")
	if err != nil {
		return res, err
	}
	start := time.Now()
	if code, _, _, stderr, err := attempt(bin, args, env, time.Hour); err != nil || code != 0 {
		return res, fmt.Errorf("uninterrupted run: exit %d, %v: %s", code, err, stderr)
	}
	full := time.Since(start)
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = full * 9 / 10
	}
	if cfg.MaxDelay < cfg.MinDelay {
		cfg.MaxDelay = cfg.MinDelay
	}
	res.FullRun, res.MaxDelay = full.Round(time.Millisecond).String(), cfg.MaxDelay.Round(time.Millisecond).String()
	fmt.Fprintf(cfg.Log, "uninterrupted run: %s; SIGINT after %s..%s\n", res.FullRun, cfg.MinDelay, res.MaxDelay)

	for run := 1; run <= cfg.Runs; run++ {
		stream := fmt.Sprintf("run-%d", run)
		args, rej, err := argsFor(stream)
		if err != nil {
			return res, err
		}
		attempts, interrupted, early := 0, 0, 0
		for {
			if attempts == cfg.MaxAttempts {
				return res, fmt.Errorf("run %d: not finished after %d attempts", run, attempts)
			}
			attempts++
			// The first attempt is stopped within the first half of a run's
			// time, so that every run is interrupted at least once.
			maxDelay := cfg.MaxDelay
			if attempts == 1 {
				maxDelay = max(cfg.MinDelay, cfg.MaxDelay/2)
			}
			delay := cfg.MinDelay + time.Duration(rng.Int64N(int64(maxDelay-cfg.MinDelay)+1))
			code, signalled, stdout, stderr, err := attempt(bin, args, env, delay)
			if err != nil {
				return res, fmt.Errorf("run %d attempt %d: %v", run, attempts, err)
			}
			if signalled {
				early++
				continue
			}
			var sum ingest.Summary
			if (code == 0 || code == 130) && strings.TrimSpace(stdout) != "" { // none when interrupted before sending anything
				if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
					return res, fmt.Errorf("run %d attempt %d: summary: %v: %q", run, attempts, err, stdout)
				}
				res.Skipped += sum.Skipped
			}
			if code == 130 {
				interrupted++
				res.Unsent += sum.Failed
				if sum.Sent > 0 && sum.Failed > 0 {
					res.MidFlight++
				}
				continue
			}
			if code != 0 {
				return res, fmt.Errorf("run %d attempt %d: exit %d: %s", run, attempts, code, stderr)
			}
			break
		}
		diff := kinesistest.Compare(sent, kinesistest.StoredMultiset(srv.Records(stream)))
		if st, err := os.Stat(rej); err == nil {
			res.Rejected += st.Size()
		}
		res.Attempts += attempts
		res.Interrupted += interrupted
		if interrupted > 0 {
			res.RunsHit++
		}
		res.Early += early
		res.Lost += diff.Missing
		res.Duplicated += diff.Duplicates
		res.Unexpected += diff.Unexpected
		res.Stored += diff.Stored
		fmt.Fprintf(cfg.Log, "run %d: %d attempts (%d interrupted, %d killed before start), stored %d of %d, lost %d, duplicated %d\n",
			run, attempts, interrupted, early, diff.Stored, diff.Sent, diff.Missing, diff.Duplicates)
	}
	res.Requests = srv.Stats().Operations["PutRecords"]
	return res, nil
}

// attempt runs ldexport and sends it SIGINT after delay, unless it ended
// first. signalled reports a process the signal killed before ldexport
// installed its handler.
func attempt(bin string, args, env []string, delay time.Duration) (code int, signalled bool, stdout, stderr string, err error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var outBuf, errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	cmd.Stdout = &outBuf
	if err := cmd.Start(); err != nil {
		return 0, false, "", "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t := time.NewTimer(delay)
	defer t.Stop()
	var werr error
	select {
	case werr = <-done:
	case <-t.C:
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case werr = <-done:
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			return 0, false, outBuf.String(), errBuf.String(), errors.New("no exit within 60s of SIGINT")
		}
	}
	var ee *exec.ExitError
	if werr != nil && !errors.As(werr, &ee) {
		return 0, false, outBuf.String(), errBuf.String(), werr
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 0, true, outBuf.String(), errBuf.String(), nil
	}
	return cmd.ProcessState.ExitCode(), false, outBuf.String(), errBuf.String(), nil
}

// makeLines returns n distinct LaunchDarkly-shaped events of varied length.
func makeLines(n int, rng *rand.Rand) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`{"project":"p","environment":"production","event":{"kind":"feature","creationDate":%d,"contextKeys":{"user":"user-%d"},"key":"flag-%d","value":true,"pad":"%s"},"seq":%d}`,
			1764150000000+int64(i), rng.IntN(1000), rng.IntN(50), strings.Repeat("z", 50+rng.IntN(300)), i)
	}
	return out
}

// writeInputs writes the first half of lines to a plain file with a blank
// line after every tenth, and the rest to a gzip file.
func writeInputs(dir string, lines []string) ([]string, error) {
	half := len(lines) / 2
	var plain strings.Builder
	for i, l := range lines[:half] {
		plain.WriteString(l)
		plain.WriteByte('\n')
		if i%10 == 9 {
			plain.WriteByte('\n')
		}
	}
	a, b := filepath.Join(dir, "a.ndjson"), filepath.Join(dir, "b.ndjson.gz")
	if err := os.WriteFile(a, []byte(plain.String()), 0o600); err != nil {
		return nil, err
	}
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	_, _ = zw.Write([]byte(strings.Join(lines[half:], "\n") + "\n"))
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if err := os.WriteFile(b, zb.Bytes(), 0o600); err != nil {
		return nil, err
	}
	return []string{a, b}, nil
}

// moduleRoot is the folder of go.mod.
func moduleRoot() (string, error) {
	out, err := exec.CommandContext(context.Background(), "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the ldexport module")
	}
	return filepath.Dir(mod), nil
}
