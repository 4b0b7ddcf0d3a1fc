// Package check implements `ldexport dest check`: the preflight before
// pressing LaunchDarkly's "Send test event" button.
package check

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ldexport/ldexport/pkg/awserr"
	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/preflight"
	"github.com/ldexport/ldexport/pkg/quantity"
	"github.com/ldexport/ldexport/pkg/store"
	"github.com/spf13/cobra"
)

// CheckOptions are the dependencies and flag values of `dest check`.
type CheckOptions struct {
	IO      *iostreams.IOStreams
	Store   func() (*store.Store, error)
	Kinesis func(ctx context.Context, region, endpointURL string) (*kinesis.Client, error)
	STS     func(ctx context.Context, region string) (*sts.Client, error)
	IAM     func(ctx context.Context, region string) (*iam.Client, error)
	// Output and EndpointURL are the global -o and --endpoint-url.
	Output      output.Format
	EndpointURL string

	Name           string
	EventsPerMonth int64
	Timeout        time.Duration

	events    string // --events-per-month as given
	eventsSet bool
}

// NewCmdCheck returns `dest check NAME`; runF replaces checkRun in tests.
func NewCmdCheck(f *cmdutil.Factory, runF func(context.Context, *CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{}
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
		ValidArgsFunction: cmdutil.CompleteDestinationNames(f.Store),
		RunE:              cmdutil.RunE(f, opts, runF, checkRun),
	}
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", time.Minute, "how long all the checks together may take, e.g. 30s, 2m")
	cmd.Flags().StringVar(&opts.events, "events-per-month", "", "expected events a month, e.g. 50000000, 50_000_000, 50M, 1.5B (compares the shards with LaunchDarkly's advice)")
	return cmd
}

// Complete takes the name, the globals and what check uses from f.
func (o *CheckOptions) Complete(f *cmdutil.Factory, cmd *cobra.Command, args []string) error {
	o.IO, o.Store, o.Kinesis, o.STS, o.IAM = f.IOStreams, f.Store, f.Kinesis, f.STS, f.IAM
	o.Output, o.EndpointURL = f.Globals.Output, f.Globals.EndpointURL
	o.Name = args[0]
	o.eventsSet = cmd.Flags().Changed("events-per-month")
	return nil
}

// Validate checks the name's form and --timeout, and reads --events-per-month.
func (o *CheckOptions) Validate() error {
	if err := shared.ValidateName(o.Name); err != nil {
		return err
	}
	if err := cmdutil.ValidateTimeout(o.Timeout); err != nil {
		return err
	}
	if o.eventsSet {
		n, err := quantity.ParseCount(o.events)
		if err == nil && n == 0 {
			err = fmt.Errorf("invalid count %q: want a positive number of events", o.events)
		}
		if err != nil {
			return cmdutil.FlagErrorf("--events-per-month: %v", err)
		}
		o.EventsPerMonth = n
	}
	return nil
}

func checkRun(ctx context.Context, opts *CheckOptions) error {
	t, err := shared.Resolve(opts.Store, opts.EndpointURL, opts.Name, "")
	if err != nil {
		return err
	}
	d := t.Destination
	parent := ctx
	ctx, cancel := awserr.WithDeadline(ctx, opts.Timeout, "--timeout")
	defer cancel()
	in := preflight.Input{Destination: d, EventsPerMonth: opts.EventsPerMonth}
	c, err := cmdutil.NewAWSClients(ctx, t.Region, t.Endpoint, opts.Kinesis, opts.STS, opts.IAM)
	if err != nil {
		return err
	}
	kinesisAt, stsAt, iamAt := cmdutil.KinesisEndpoint(c.Kinesis), cmdutil.STSEndpoint(c.STS), cmdutil.IAMEndpoint(c.IAM)
	in.Kinesis, in.STS, in.IAM = c.Kinesis, c.STS, c.IAM
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
	if err := printReport(opts.IO, opts.Output, rep); err != nil {
		return err
	}
	if failed := rep.Failed(); len(failed) > 0 {
		return cmdutil.RuntimeErrorf("dest check %s: %d of %d checks failed: %s; %s: %s", d.Name, len(failed), len(rep.Checks), strings.Join(failed, ", "), failed[0], rep.Detail(failed[0]))
	}
	return nil
}

// printReport prints rep: JSON or YAML as -o asks, else printChecks.
func printReport(ios *iostreams.IOStreams, format output.Format, rep preflight.Report) error {
	return output.Write(ios, format, rep, func() error { return printChecks(ios, rep) })
}

// printChecks prints one line per check: status, name, detail; the status
// styled on a terminal, plain when piped.
func printChecks(ios *iostreams.IOStreams, rep preflight.Report) error {
	p := output.NewPalette(ios)
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
	_, err := fmt.Fprint(ios.Out, b.String())
	return err
}
