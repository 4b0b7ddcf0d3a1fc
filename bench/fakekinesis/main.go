// Command fakekinesis runs pkg/kinesistest's fake Kinesis as a process, for
// manual use and shell benchmarks:
//
//	go run ./bench/fakekinesis --streams events:4 --limits --fault-500 0.1 --stats stats.json
//
// Once listening on 127.0.0.1 with every stream created it prints one line
// on stdout, "ready http://127.0.0.1:PORT", like tools/kinesalite/launcher.js.
// It stops on SIGINT, SIGTERM or when its stdin closes (unless
// --exit-on-stdin-close=false), then writes its statistics as JSON to the
// --stats file, or to stderr.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/ldexport/ldexport/pkg/childserver"
	"github.com/ldexport/ldexport/pkg/kinesistest"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, childserver.StopSignals()))
}

// streamSpec is one --streams entry.
type streamSpec struct {
	name   string
	shards int
}

// parseStreams reads "name:shards,name:shards" (shards default to 1).
func parseStreams(spec string) ([]streamSpec, error) {
	var out []streamSpec
	for _, entry := range strings.Split(spec, ",") {
		if entry == "" {
			continue
		}
		name, count, found := strings.Cut(entry, ":")
		shards := 1
		if found {
			n, err := strconv.Atoi(count)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("--streams: bad entry %q: want name:shards with shards >= 1", entry)
			}
			shards = n
		}
		if name == "" {
			return nil, fmt.Errorf("--streams: bad entry %q: empty stream name", entry)
		}
		out = append(out, streamSpec{name, shards})
	}
	return out, nil
}

// run is the command; it returns the exit code: 0 after a clean stop, 1 on
// a runtime error, 2 on a bad flag.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, stop <-chan os.Signal) int {
	fs := flag.NewFlagSet("fakekinesis", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		opts          kinesistest.Options
		port          = fs.Int("port", 0, "port on 127.0.0.1 (0 picks a free one)")
		streams       = fs.String("streams", "", "streams to create, `name:shards,...`")
		limits        = fs.Bool("limits", false, "enforce per-shard write limits (1,000 records/s and 1 MiB/s per shard unless changed)")
		limitRecords  = fs.Int("limit-records", 1000, "records per second per shard with --limits")
		limitBytes    = fs.Int("limit-bytes", 1<<20, "bytes per second per shard with --limits")
		maxRecordKiB  = fs.Int("max-record-kib", kinesistest.DefaultMaxRecordSizeKiB, "record size limit of every stream in KiB (1024..10240)")
		statsPath     = fs.String("stats", "", "write the statistics as JSON to this `file` on exit (default stderr)")
		exitOnStdin   = fs.Bool("exit-on-stdin-close", true, "stop when stdin closes")
		probabilities = []struct {
			flag string
			p    *float64
		}{
			{"fault-500", &opts.Faults.Request500},
			{"fault-record", &opts.Faults.RecordFailure},
			{"fault-lost", &opts.Faults.LostResponse},
			{"fault-reset", &opts.Faults.Reset},
			{"latency", &opts.Faults.Latency},
		}
	)
	fs.StringVar(&opts.Region, "region", "us-east-1", "region in stream ARNs")
	fs.StringVar(&opts.AccountID, "account", "000000000000", "account ID in stream ARNs")
	fs.Uint64Var(&opts.Seed, "seed", 1, "seed of the fault draws")
	fs.BoolVar(&opts.DiscardData, "discard-data", false, "keep only counts and hashes of records, not their data")
	fs.BoolVar(&opts.Faults.Reads, "fault-reads", false, "apply faults to GetShardIterator and GetRecords too")
	fs.Float64Var(&opts.Faults.Request500, "fault-500", 0, "probability of answering a write with HTTP 500 InternalFailure (nothing stored)")
	fs.Float64Var(&opts.Faults.RecordFailure, "fault-record", 0, "probability of failing a PutRecords record with InternalFailure")
	fs.Float64Var(&opts.Faults.LostResponse, "fault-lost", 0, "probability of storing a write, then closing the connection without answering")
	fs.Float64Var(&opts.Faults.Reset, "fault-reset", 0, "probability of resetting the connection before storing a write")
	fs.Float64Var(&opts.Faults.Latency, "latency", 0, "probability of delaying a write by --latency-min..--latency-max")
	fs.DurationVar(&opts.Faults.LatencyMin, "latency-min", 0, "shortest injected delay")
	fs.DurationVar(&opts.Faults.LatencyMax, "latency-max", 0, "longest injected delay")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "fakekinesis: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() > 0 {
		return usage("unexpected argument %q", fs.Arg(0))
	}
	for _, f := range probabilities {
		if *f.p < 0 || *f.p > 1 {
			return usage("--%s: %v is not a probability between 0 and 1", f.flag, *f.p)
		}
	}
	if opts.Faults.LatencyMin < 0 || opts.Faults.LatencyMax < 0 {
		return usage("--latency-min and --latency-max must not be negative")
	}
	if *port < 0 || *port > 65535 {
		return usage("--port: %d is not a port number", *port)
	}
	if *maxRecordKiB < 1024 || *maxRecordKiB > 10240 {
		return usage("--max-record-kib: %d is outside 1024..10240", *maxRecordKiB)
	}
	if *limits {
		if *limitRecords < 1 || *limitBytes < 1 {
			return usage("--limit-records and --limit-bytes must be positive")
		}
		opts.Limits = &kinesistest.WriteLimits{RecordsPerSecond: *limitRecords, BytesPerSecond: *limitBytes}
	}
	specs, err := parseStreams(*streams)
	if err != nil {
		return usage("%v", err)
	}

	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintf(stderr, "fakekinesis: --port %d: %v\n", *port, err)
		return 1
	}
	srv := kinesistest.NewUnstartedServer(opts)
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	for _, s := range specs {
		err := srv.CreateStream(s.name, s.shards)
		if err == nil && *maxRecordKiB != kinesistest.DefaultMaxRecordSizeKiB {
			err = srv.SetMaxRecordSize(s.name, *maxRecordKiB)
		}
		if err != nil {
			srv.Close()
			return usage("--streams: %v", err)
		}
	}
	_ = childserver.Ready(stdout, srv.URL)
	childserver.WaitForStop(stdin, *exitOnStdin, stop)
	srv.Close()

	stats, err := json.MarshalIndent(srv.Stats(), "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "fakekinesis: %v\n", err)
		return 1
	}
	stats = append(stats, '\n')
	if *statsPath == "" {
		_, _ = stderr.Write(stats)
		return 0
	}
	if err := os.WriteFile(*statsPath, stats, 0o644); err != nil {
		fmt.Fprintf(stderr, "fakekinesis: --stats: %v\n", err)
		return 1
	}
	return 0
}
