// Package check implements `ldexport dest check`: the preflight before
// pressing LaunchDarkly's "Send test event" button.
package check

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ldexport/ldexport/pkg/awserr"
	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/preflight"
	"github.com/ldexport/ldexport/pkg/quantity"
	"github.com/spf13/cobra"
)

// CheckOptions are the dependencies and flag values of `dest check`.
type CheckOptions struct {
	Factory *cmdutil.Factory

	Name           string
	EventsPerMonth int64
	Timeout        time.Duration
}

// NewCmdCheck returns `dest check NAME`; runF replaces checkRun in tests.
func NewCmdCheck(f *cmdutil.Factory, runF func(context.Context, *CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{Factory: f}
	var events string
	cmd := &cobra.Command{
		Use:   "check NAME [--events-per-month N]",
		Short: "Check a destination's stream and IAM role before LaunchDarkly's test event",
		Long: `Check the whole set-up of a destination and print one line per check:

  credentials  the AWS caller (STS GetCallerIdentity)
  account      the caller is in the destination's account
  stream       the stream exists and is ACTIVE
  capacity     stream mode and open shards, against --events-per-month
  encryption   a customer-managed KMS key is recorded in the destination
  role         the role exists (IAM GetRole)
  trust        its trust policy lets LaunchDarkly assume it (with the external ID)
  permissions  its policies allow kinesis:PutRecord and kinesis:PutRecords on
               the stream (IAM SimulatePrincipalPolicy)

Each is pass, warn, fail or skip, with the reason and the fix. A check that
the caller lacks permission for is skipped, naming the permission.

Each service's calls go where the AWS SDK's endpoint settings say
(AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS,
AWS_ENDPOINT_URL, the shared config's services section; --endpoint-url and a
stored endpointUrl for Kinesis), and the report names them. When Kinesis is a
local emulator, the STS and IAM checks are skipped unless their endpoints are
set too (e.g. to moto), so an emulator's destination is never checked against
a real account. Exit 1 if any check fails; --timeout bounds them all (a check
that runs out of time fails).`,
		Example: `  ldexport dest check prod --events-per-month 120_000_000
  ldexport dest check prod -o json`,
		Args:              cmdutil.ExactArgs(1, "name the destination: ldexport dest check NAME"),
		ValidArgsFunction: cmdutil.DestinationNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if opts.Timeout <= 0 {
				return cmdutil.FlagErrorf("--timeout: must be more than 0, got %s", opts.Timeout)
			}
			if cmd.Flags().Changed("events-per-month") {
				n, err := quantity.ParseCount(events)
				if err == nil && n == 0 {
					err = fmt.Errorf("invalid count %q: want a positive number of events", events)
				}
				if err != nil {
					return cmdutil.FlagErrorf("--events-per-month: %v", err)
				}
				opts.EventsPerMonth = n
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return checkRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", time.Minute, "how long all the checks together may take, e.g. 30s, 2m")
	cmd.Flags().StringVar(&events, "events-per-month", "", "expected events a month, e.g. 50000000, 50_000_000, 50M, 1.5B (compares the shards with LaunchDarkly's advice)")
	return cmd
}

func checkRun(ctx context.Context, opts *CheckOptions) error {
	f := opts.Factory
	d, err := shared.Load(f, opts.Name)
	if err != nil {
		return err
	}
	parent := ctx
	ctx, cancel := awserr.WithDeadline(ctx, opts.Timeout, "--timeout")
	defer cancel()
	in := preflight.Input{Destination: d, EventsPerMonth: opts.EventsPerMonth}
	kc, err := f.Kinesis(ctx, d.Region, d.EndpointURL)
	if err != nil {
		return err
	}
	stsClient, err := f.STS(ctx, d.Region)
	if err != nil {
		return err
	}
	iamClient, err := f.IAM(ctx, d.Region)
	if err != nil {
		return err
	}
	kinesisAt, stsAt, iamAt := cmdutil.KinesisEndpoint(kc), cmdutil.STSEndpoint(stsClient), cmdutil.IAMEndpoint(iamClient)
	in.Kinesis, in.STS, in.IAM = kc, stsClient, iamClient
	in.Endpoints = preflight.Endpoints{Kinesis: kinesisAt.URL, IAM: iamAt.URL, STS: stsAt.URL}
	// A destination on a local emulator is not checked against a real
	// account: STS and IAM are called only where their endpoints are set.
	if len(cmdutil.BoundForRealAWS(kinesisAt, stsAt)) > 0 {
		in.NoSTS = fmt.Sprintf("Kinesis is the local endpoint %s and STS would be real AWS: set AWS_ENDPOINT_URL_STS (e.g. to moto) to check the caller", kinesisAt.URL)
	}
	if len(cmdutil.BoundForRealAWS(kinesisAt, iamAt)) > 0 {
		in.NoIAM = fmt.Sprintf("Kinesis is the local endpoint %s and IAM would be real AWS: set AWS_ENDPOINT_URL_IAM (e.g. to moto) to check the role", kinesisAt.URL)
	}
	rep := preflight.Run(ctx, in)
	if parent.Err() != nil { // interrupted: the checks left are not made
		return awserr.ContextErr(parent, awserr.Op{Service: "dest check", Resource: d.Name})
	}
	if err := output.Write(f.IOStreams, f.Globals.Output, rep, func() error { return printChecks(f, rep) }); err != nil {
		return err
	}
	if failed := rep.Failed(); len(failed) > 0 {
		return cmdutil.RuntimeErrorf("dest check %s: %d of %d checks failed: %s; %s: %s", d.Name, len(failed), len(rep.Checks), strings.Join(failed, ", "), failed[0], rep.Detail(failed[0]))
	}
	return nil
}

// printChecks prints one line per check: status, name, detail; the status
// styled on a terminal, plain when piped.
func printChecks(f *cmdutil.Factory, rep preflight.Report) error {
	p := output.NewPalette(f.IOStreams)
	width := 0
	for _, c := range rep.Checks {
		width = max(width, len(c.Name))
	}
	var b strings.Builder
	for _, c := range rep.Checks {
		style := p.Plain
		switch c.Status {
		case preflight.Pass:
			style = p.Pass
		case preflight.Warn:
			style = p.Warn
		case preflight.Fail:
			style = p.Fail
		case preflight.Skip:
			style = p.Skip
		}
		fmt.Fprintf(&b, "%s  %-*s  %s\n", style.Render(string(c.Status)), width, c.Name, c.Detail)
	}
	_, err := fmt.Fprint(f.IOStreams.Out, b.String())
	return err
}
