// Package shards implements `ldexport shards`: how many shards a stream
// needs for a LaunchDarkly environment's event volume.
package shards

import (
	"context"
	"errors"
	"fmt"
	"github.com/ldexport/ldexport/pkg/quantity"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/shardcalc"
	"github.com/spf13/cobra"
)

// ShardsOptions are the dependencies and flag values of `shards`.
type ShardsOptions struct {
	IO     *iostreams.IOStreams
	Output output.Format

	EventsPerMonth int64
	PeakFactor     float64
	AvgEventBytes  int64
	// SamplePath is an NDJSON file (plain or gzip) whose mean line size
	// replaces AvgEventBytes.
	SamplePath string
	// Aggregate also sizes the stream for send --aggregate, with aggregated
	// records of at most AggregateMaxBytes.
	Aggregate         bool
	AggregateMaxBytes int64

	// The flags as given, read by Validate.
	events, peak, avgBytes, aggMax    string
	eventsSet, avgBytesSet, sampleSet bool
	aggMaxSet                         bool
}

// NewCmdShards returns `shards`; runF replaces shardsRun in tests.
func NewCmdShards(f *cmdutil.Factory, runF func(context.Context, *ShardsOptions) error) *cobra.Command {
	opts := &ShardsOptions{}
	cmd := &cobra.Command{
		Use:   "shards --events-per-month N [--peak-factor F] [--avg-event-bytes B | --sample FILE]",
		Short: "Recommend a shard count for a stream",
		Long: `Recommend how many shards a provisioned Kinesis stream needs.

LaunchDarkly's rule of thumb is one shard per 50 million events a month. The stream
must also take the peak: each shard accepts 1,000 records/s and 1 MiB/s. The peak rate
is the monthly mean (N / 30 days) times --peak-factor; the event size is
--avg-event-bytes (default 1024) or the mean line size of an NDJSON --sample.

--aggregate adds, side by side, the shards that ldexport send --aggregate needs for
the same peak: events packed into KPL aggregated records of up to
--aggregate-max-bytes (default 51,200, as the KPL), each event with a random
partition key, so the byte limit binds instead of the record limit. LaunchDarkly's
own delivery does not aggregate: size the stream LaunchDarkly writes to by the
unaggregated figure.`,
		Example: `  ldexport shards --events-per-month 50M
  ldexport shards --events-per-month 1.5B --peak-factor 3 --sample events.ndjson.gz
  ldexport shards --events-per-month 5e7 -o json
  ldexport shards --events-per-month 3B --peak-factor 4 --avg-event-bytes 400 --aggregate`,
		Args: cmdutil.NoArgs,
		RunE: cmdutil.RunE(f, opts, runF, shardsRun),
	}
	cmd.Flags().StringVar(&opts.events, "events-per-month", "", "events a month: 50000000, 50_000_000, 50M, 1.5B, 2k or 5e7 (required)")
	cmd.Flags().StringVar(&opts.peak, "peak-factor", "1", "busiest second's rate as a multiple of the monthly mean, 1 or more, e.g. 3 or 2.5")
	cmd.Flags().StringVar(&opts.avgBytes, "avg-event-bytes", strconv.Itoa(shardcalc.DefaultAvgEventBytes), "mean event size in bytes, 1 to 10485760 (10 MiB)")
	cmd.Flags().StringVar(&opts.SamplePath, "sample", "", "NDJSON file (plain or gzip) whose mean line size is the event size")
	cmd.Flags().BoolVar(&opts.Aggregate, "aggregate", false, "also size for send --aggregate (KPL aggregated records), side by side")
	cmd.Flags().StringVar(&opts.aggMax, "aggregate-max-bytes", strconv.Itoa(shardcalc.DefaultAggregateMaxBytes), "with --aggregate: largest aggregated record in bytes")
	_ = cmd.MarkFlagFilename("sample", "ndjson", "json", "gz")
	return cmd
}

// Complete takes what shards uses from f and which flags were given.
func (o *ShardsOptions) Complete(f *cmdutil.Factory, cmd *cobra.Command, _ []string) error {
	o.IO, o.Output = f.IOStreams, f.Globals.Output
	fl := cmd.Flags()
	o.eventsSet, o.avgBytesSet, o.sampleSet, o.aggMaxSet = fl.Changed("events-per-month"), fl.Changed("avg-event-bytes"), fl.Changed("sample"), fl.Changed("aggregate-max-bytes")
	return nil
}

// Validate reads the counts and factors given as text and checks them,
// and, without --sample, that the stream they ask for can be made.
func (o *ShardsOptions) Validate() error {
	if !o.eventsSet {
		return cmdutil.FlagErrorf("--events-per-month is required")
	}
	n, err := quantity.ParseCount(o.events)
	if err != nil {
		return cmdutil.FlagErrorf("--events-per-month: %v", err)
	}
	o.EventsPerMonth = n
	if o.PeakFactor, err = parsePeakFactor(o.peak); err != nil {
		return cmdutil.FlagErrorf("--peak-factor: %v", err)
	}
	if o.avgBytesSet && o.sampleSet {
		return cmdutil.FlagErrorf("--avg-event-bytes and --sample cannot be used together")
	}
	if o.AvgEventBytes, err = quantity.ParseCount(o.avgBytes); err != nil {
		return cmdutil.FlagErrorf("--avg-event-bytes: %v", err)
	}
	if o.AvgEventBytes < 1 || o.AvgEventBytes > 10*1024*1024 {
		return cmdutil.FlagErrorf("--avg-event-bytes: %d is out of range: want 1 to 10485760 (10 MiB, the largest record a stream takes)", o.AvgEventBytes)
	}
	if o.aggMaxSet && !o.Aggregate {
		return cmdutil.FlagErrorf("--aggregate-max-bytes needs --aggregate")
	}
	if o.AggregateMaxBytes, err = quantity.ParseCount(o.aggMax); err != nil {
		return cmdutil.UsageErrorf("--aggregate-max-bytes: %v", err)
	}
	if err := shardcalc.ValidateAggregateMaxBytes(o.AggregateMaxBytes); err != nil {
		return cmdutil.UsageErrorf("--aggregate-max-bytes: %v", err)
	}
	if o.sampleSet && o.SamplePath == "" {
		return cmdutil.FlagErrorf("--sample: empty file name")
	}
	if o.SamplePath == "" {
		return validateInput(o.input())
	}
	return nil // the event size comes from the sample: shardsRun checks it
}

// input is what shardcalc sizes.
func (o *ShardsOptions) input() shardcalc.Input {
	return shardcalc.Input{EventsPerMonth: o.EventsPerMonth, PeakFactor: o.PeakFactor, AvgEventBytes: o.AvgEventBytes}
}

// validateInput says, as a usage error, why in cannot be sized.
func validateInput(in shardcalc.Input) error {
	if err := in.Validate(); errors.Is(err, shardcalc.ErrTooManyShards) {
		return cmdutil.FlagErrorf("--events-per-month %s with --peak-factor %s: %v; lower them", commas(in.EventsPerMonth), strconv.FormatFloat(in.PeakFactor, 'g', -1, 64), err)
	} else if err != nil {
		return &cmdutil.FlagError{Err: err}
	}
	return nil
}

func parsePeakFactor(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("invalid peak factor %q: want a finite number such as 1, 2.5 or 4", s)
	}
	if f < 1 {
		return 0, fmt.Errorf("peak factor %v is below 1: the busiest second is never slower than the monthly mean", f)
	}
	return f, nil
}

func shardsRun(_ context.Context, opts *ShardsOptions) error {
	in := opts.input()
	var sample *shardcalc.SampleStats
	if opts.SamplePath != "" {
		st, err := measure(opts.SamplePath)
		if err != nil {
			return err
		}
		sample = &st
		in.AvgEventBytes = st.MeanBytes()
	}
	if err := validateInput(in); err != nil {
		return err
	}
	r := shardcalc.RecommendShards(in)
	res := result{Result: r}
	if opts.Aggregate {
		a, err := shardcalc.RecommendAggregated(r, opts.AggregateMaxBytes)
		if err != nil {
			return cmdutil.Usage(err)
		}
		res.Aggregated = &a
	}
	return output.Write(opts.IO, opts.Output, res, func() error {
		if err := writeExplanation(opts.IO.Out, r, opts.SamplePath, sample); err != nil || res.Aggregated == nil {
			return err
		}
		return writeAggregated(opts.IO.Out, r, *res.Aggregated)
	})
}

// result is what shards prints: the contract's keys, and with --aggregate
// the aggregated figures under "aggregated".
type result struct {
	shardcalc.Result
	Aggregated *shardcalc.Aggregated `json:"aggregated,omitempty"`
}

// writeAggregated prints the --aggregate figures after the unaggregated ones.
func writeAggregated(w io.Writer, r shardcalc.Result, a shardcalc.Aggregated) error {
	var b strings.Builder
	fmt.Fprintf(&b, "With send --aggregate: %s (unaggregated, by throughput alone: %d)\n", plural(a.RecommendedShards, "shard"), r.ThroughputShards)
	fmt.Fprintf(&b, "  packing:     %s events of %s bytes in each aggregated record of %s bytes (limit %s)\n",
		commas(a.EventsPerKinesisRecord), commas(r.AvgEventBytes), commas(a.KinesisRecordBytes), commas(a.MaxAggregateBytes))
	fmt.Fprintf(&b, "  throughput:  records: %s/s ÷ 1,000/s per shard → %d; bytes: %s/s ÷ 1 MiB/s per shard → %d\n",
		rate(a.PeakKinesisRecordsPerSecond), a.RecordShards, bytesRate(a.PeakBytesPerSecond), a.ByteShards)
	fmt.Fprintf(&b, "  note:        LaunchDarkly's own delivery does not aggregate; this sizes replays, backfills and load tests sent with ldexport\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// measure reads the sample file. A missing, unreadable, corrupt or empty
// sample is bad input (exit 2), named with its path.
func measure(path string) (shardcalc.SampleStats, error) {
	fh, err := os.Open(path)
	if err != nil {
		return shardcalc.SampleStats{}, cmdutil.UsageErrorf("--sample: %v", err)
	}
	defer fh.Close()
	st, err := shardcalc.MeasureSample(fh)
	if err != nil {
		return st, cmdutil.UsageErrorf("--sample: %s: %v", path, err)
	}
	if st.Lines == 0 {
		return st, cmdutil.UsageErrorf("--sample: %s: no events (every line is blank)", path)
	}
	return st, nil
}

// writeExplanation prints the recommendation and the reasoning behind it.
func writeExplanation(w io.Writer, r shardcalc.Result, samplePath string, sample *shardcalc.SampleStats) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Recommended shards: %d\n", r.RecommendedShards)
	fmt.Fprintf(&b, "  baseline:    %s (%s events a month; LaunchDarkly's rule: 1 shard per 50,000,000)\n",
		plural(r.BaselineShards, "shard"), commas(r.EventsPerMonth))
	fmt.Fprintf(&b, "  peak rate:   %s events/s (%s / 2,592,000 s in 30 days × peak factor %s)\n",
		rate(r.PeakEventsPerSecond), commas(r.EventsPerMonth), strconv.FormatFloat(r.PeakFactor, 'g', -1, 64))
	size := fmt.Sprintf("%s bytes/event", commas(r.AvgEventBytes))
	if sample != nil {
		size += fmt.Sprintf(", the mean of %s lines in %s", commas(sample.Lines), samplePath)
	}
	fmt.Fprintf(&b, "  throughput:  %s (records: %s/s ÷ 1,000/s per shard → %d; bytes: %s at %s → %s/s ÷ 1 MiB/s per shard → %d)\n",
		plural(r.ThroughputShards, "shard"), rate(r.PeakEventsPerSecond), r.RecordShards,
		rate(r.PeakEventsPerSecond)+"/s", size, bytesRate(r.PeakBytesPerSecond), r.ByteShards)
	switch r.Binding {
	case shardcalc.BindingBaseline:
		fmt.Fprintf(&b, "  binding:     the baseline rule; the peak fits within its shards\n")
	case shardcalc.BindingRecords:
		fmt.Fprintf(&b, "  binding:     the peak's records per second (1,000/s per shard)\n")
	default:
		fmt.Fprintf(&b, "  binding:     the peak's bytes per second (1 MiB/s per shard)\n")
	}
	if r.OnDemand {
		fmt.Fprintf(&b, "Note: the peak is %s× the mean, so shards sized for it sit mostly idle between peaks; on-demand capacity mode (scales with traffic, no shards to manage) may suit better.\n",
			strconv.FormatFloat(r.PeakFactor, 'g', -1, 64))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return commas(n) + " " + word + "s"
}

// commas writes n with thousands separators.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// rate writes x with one decimal and thousands separators.
func rate(x float64) string {
	s := strconv.FormatFloat(x, 'f', 1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseInt(whole, 10, 64)
	return commas(n) + "." + frac
}

func bytesRate(x float64) string {
	switch {
	case x >= 1024*1024:
		return strconv.FormatFloat(x/(1024*1024), 'f', 2, 64) + " MiB"
	case x >= 1024:
		return strconv.FormatFloat(x/1024, 'f', 1, 64) + " KiB"
	}
	return strconv.FormatFloat(x, 'f', 0, 64) + " B"
}
