// Package gen implements `ldexport gen`: realistic LaunchDarkly Data Export
// events as NDJSON on stdout, the same for the same seed.
package gen

import (
	"context"
	"errors"
	"fmt"
	"github.com/ldexport/ldexport/pkg/quantity"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/eventgen"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/ldkey"
	"github.com/spf13/cobra"
)

// DefaultCount is the number of events written when --count is not given.
const DefaultCount = 10

// GenOptions are the dependencies and flag values of `gen`.
type GenOptions struct {
	IO *iostreams.IOStreams

	Count       int64
	Seed        uint64
	Kinds       []eventgen.Kind // empty: the default mix
	Project     string
	Environment string
	Start       time.Time // zero: eventgen.DefaultStart

	count, kinds, start string // the flags as given, read by Validate
	kindsSet            bool
}

// NewCmdGen returns `gen`; runF replaces genRun in tests.
func NewCmdGen(f *cmdutil.Factory, runF func(context.Context, *GenOptions) error) *cobra.Command {
	opts := &GenOptions{}
	cmd := &cobra.Command{
		Use:   "gen [--count N] [--seed S] [--kinds K,...]",
		Short: "Write realistic LaunchDarkly Data Export events as NDJSON",
		Long: `Write realistic LaunchDarkly Data Export events to stdout, one export record
({"project":..,"environment":..,"event":{..},"version":1}) per line.

The output depends only on the flags: the same --seed, --count, --kinds,
--project, --environment and --start always give the same bytes. Without
--kinds the mix is mostly feature events, with some custom and identify events
(index and summary events, which LaunchDarkly exports only on request, are left
out); with --kinds each listed kind is equally likely.

LaunchDarkly's export carries the project and environment IDs (24 hex digits),
not their keys: give the IDs, or keys from which IDs are derived (the same key
always gives the same ID; stderr says so).
Valid kinds: ` + kindNames() + `.`,
		Example: `  ldexport gen --count 20 --seed 42
  ldexport gen --count 1M --kinds feature,custom,identify,summary | ldexport send --dest prod
  ldexport gen --count 100k --project mobile --environment staging > events.ndjson`,
		Args: cmdutil.NoArgs,
		RunE: cmdutil.RunE(f, opts, runF, genRun),
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.count, "count", "n", strconv.Itoa(DefaultCount), "number of events, 0 or more: 100000, 100_000, 100k, 1M")
	fl.Uint64Var(&opts.Seed, "seed", eventgen.DefaultSeed, "random seed, 0 to 2^64-1; the same seed gives the same events")
	fl.StringVar(&opts.kinds, "kinds", "", "comma-separated event kinds (default: a realistic mix)")
	fl.StringVar(&opts.Project, "project", "default", "LaunchDarkly project ID (24 hex digits), or a key to derive one from")
	fl.StringVar(&opts.Environment, "environment", "production", "LaunchDarkly environment ID (24 hex digits), or a key to derive one from")
	fl.StringVar(&opts.start, "start", "", "creationDate of the first event, RFC 3339 (default 2026-01-01T00:00:00Z)")
	_ = cmd.RegisterFlagCompletionFunc("kinds", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var names []cobra.Completion
		for _, k := range eventgen.AllKinds {
			names = append(names, string(k))
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Complete takes the streams from f and whether --kinds was given.
func (o *GenOptions) Complete(f *cmdutil.Factory, cmd *cobra.Command, _ []string) error {
	o.IO = f.IOStreams
	o.kindsSet = cmd.Flags().Changed("kinds")
	return nil
}

// Validate reads --count, --kinds and --start and checks the keys.
func (o *GenOptions) Validate() error {
	n, err := quantity.ParseCount(o.count)
	if err != nil {
		return cmdutil.FlagErrorf("--count: %v", err)
	}
	o.Count = n
	if o.kindsSet {
		if o.Kinds, err = eventgen.ParseKinds(o.kinds); err != nil {
			return cmdutil.FlagErrorf("--kinds: %v", err)
		}
	}
	if err := ldkey.ValidateProjectKey(o.Project); err != nil {
		return cmdutil.FlagErrorf("--project: %v", err)
	}
	if err := ldkey.ValidateEnvironmentKey(o.Environment); err != nil {
		return cmdutil.FlagErrorf("--environment: %v", err)
	}
	if o.start != "" {
		if o.Start, err = time.Parse(time.RFC3339, o.start); err != nil {
			return cmdutil.FlagErrorf("--start: %q is not an RFC 3339 time such as 2026-01-01T00:00:00Z", o.start)
		}
	}
	return nil
}

func kindNames() string {
	names := make([]string, len(eventgen.AllKinds))
	for i, k := range eventgen.AllKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

func genRun(ctx context.Context, opts *GenOptions) error {
	project, env, note := eventgen.ExportIDs(opts.Project, opts.Environment)
	g, err := eventgen.New(eventgen.Config{
		Seed:        opts.Seed,
		Kinds:       opts.Kinds,
		Project:     project,
		Environment: env,
		Start:       opts.Start,
	})
	if err != nil {
		return &cmdutil.FlagError{Err: err}
	}
	// `ldexport gen | head` must end quietly: with SIGPIPE ignored, a write to
	// a closed pipe returns EPIPE instead of killing the process.
	signal.Ignore(syscall.SIGPIPE)
	_, err = g.WriteN(ctx, opts.IO.Out, opts.Count)
	switch {
	case err == nil, errors.Is(err, syscall.EPIPE):
		// Said after the events, so that a failure stays one line on stderr.
		if note != "" {
			fmt.Fprintln(opts.IO.ErrOut, note)
		}
		return nil
	case errors.Is(err, context.Canceled):
		return err
	default:
		return cmdutil.RuntimeErrorf("writing events: %v", err)
	}
}
