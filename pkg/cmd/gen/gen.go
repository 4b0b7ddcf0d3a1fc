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
}

// NewCmdGen returns `gen`; runF replaces genRun in tests.
func NewCmdGen(f *cmdutil.Factory, runF func(context.Context, *GenOptions) error) *cobra.Command {
	opts := &GenOptions{IO: f.IOStreams}
	var count, kinds, start string
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
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := quantity.ParseCount(count)
			if err != nil {
				return cmdutil.FlagErrorf("--count: %v", err)
			}
			opts.Count = n
			if cmd.Flags().Changed("kinds") {
				if opts.Kinds, err = eventgen.ParseKinds(kinds); err != nil {
					return cmdutil.FlagErrorf("--kinds: %v", err)
				}
			}
			if err := ldkey.ValidateProjectKey(opts.Project); err != nil {
				return cmdutil.FlagErrorf("--project: %v", err)
			}
			if err := ldkey.ValidateEnvironmentKey(opts.Environment); err != nil {
				return cmdutil.FlagErrorf("--environment: %v", err)
			}
			if start != "" {
				if opts.Start, err = time.Parse(time.RFC3339, start); err != nil {
					return cmdutil.FlagErrorf("--start: %q is not an RFC 3339 time such as 2026-01-01T00:00:00Z", start)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return genRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&count, "count", "n", strconv.Itoa(DefaultCount), "number of events, 0 or more: 100000, 100_000, 100k, 1M")
	fl.Uint64Var(&opts.Seed, "seed", eventgen.DefaultSeed, "random seed, 0 to 2^64-1; the same seed gives the same events")
	fl.StringVar(&kinds, "kinds", "", "comma-separated event kinds (default: a realistic mix)")
	fl.StringVar(&opts.Project, "project", "default", "LaunchDarkly project ID (24 hex digits), or a key to derive one from")
	fl.StringVar(&opts.Environment, "environment", "production", "LaunchDarkly environment ID (24 hex digits), or a key to derive one from")
	fl.StringVar(&start, "start", "", "creationDate of the first event, RFC 3339 (default 2026-01-01T00:00:00Z)")
	_ = cmd.RegisterFlagCompletionFunc("kinds", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var names []cobra.Completion
		for _, k := range eventgen.AllKinds {
			names = append(names, string(k))
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
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
