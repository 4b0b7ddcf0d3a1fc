// Package policy implements `ldexport iam policy`: the permissions policy
// LaunchDarkly's role needs to write to a destination's stream.
package policy

import (
	"context"

	"github.com/ldexport/ldexport/pkg/awsarn"
	"github.com/ldexport/ldexport/pkg/cmd/iam/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/output"
	iampolicy "github.com/ldexport/ldexport/pkg/policy"
	"github.com/ldexport/ldexport/pkg/store"
	"github.com/spf13/cobra"
)

// PolicyOptions are the dependencies and flag values of `iam policy`.
type PolicyOptions struct {
	IO     *iostreams.IOStreams
	Store  func() (*store.Store, error)
	Output output.Format
	// RegionFrom names where Region came from (the global --region), for
	// error messages.
	RegionFrom string

	Dest      string
	Region    string
	AccountID string
	Stream    string
	KMSKeyARN string

	withDest string // a flag given with --dest that the destination has
	missing  string // a flag needed without --dest that is not given
}

// NewCmdPolicy returns `iam policy`; runF replaces policyRun in tests.
func NewCmdPolicy(f *cmdutil.Factory, runF func(context.Context, *PolicyOptions) error) *cobra.Command {
	opts := &PolicyOptions{}
	cmd := &cobra.Command{
		Use:   "policy (--dest NAME | --region R --account-id ID --stream S) [--kms-key-arn ARN]",
		Short: "Print the permissions policy LaunchDarkly's role needs",
		Long: `Print the least-privilege permissions policy for LaunchDarkly's role: kinesis:PutRecord
and kinesis:PutRecords on the stream, and kms:GenerateDataKey on the stream's
customer-managed KMS key if it has one. Only JSON is printed, so it pipes into the AWS CLI.`,
		Example: `  ldexport iam policy --dest prod
  ldexport iam policy --region us-east-1 --account-id 123456789012 --stream ld-events
  ldexport iam policy --dest prod | aws iam create-policy --policy-name ld-put-records --policy-document file:///dev/stdin`,
		Args: cmdutil.NoArgs,
		RunE: cmdutil.RunE(f, opts, runF, policyRun),
	}
	cmd.Flags().StringVar(&opts.Dest, "dest", "", "stored destination to write the policy for")
	cmd.Flags().StringVar(&opts.AccountID, "account-id", "", "AWS account of the stream (without --dest)")
	cmd.Flags().StringVar(&opts.Stream, "stream", "", "Kinesis stream name (without --dest)")
	cmd.Flags().StringVar(&opts.KMSKeyARN, "kms-key-arn", "", "customer-managed KMS key of the stream (default: the destination's)")
	_ = cmd.RegisterFlagCompletionFunc("dest", cmdutil.CompleteDestinationNames(f.Store))
	return cmd
}

// Document validates the options and returns the permissions policy. A
// value that is not acceptable is bad input (exit 2) naming its flag.
// Complete takes --region (without --dest) and what policy uses from f, and
// notes which flags were given.
func (o *PolicyOptions) Complete(f *cmdutil.Factory, cmd *cobra.Command, _ []string) error {
	o.IO, o.Store, o.Output = f.IOStreams, f.Store, f.Globals.Output
	o.Region, o.RegionFrom = f.Globals.Region, f.Globals.RegionFrom()
	if o.Dest != "" {
		o.Region = ""
		for _, name := range []string{"account-id", "stream", "region"} {
			if fl := cmd.Flags().Lookup(name); fl != nil && fl.Changed {
				o.withDest = name
				break
			}
		}
		return nil
	}
	for _, name := range []string{"account-id", "stream"} {
		if !cmd.Flags().Changed(name) {
			o.missing = name
			break
		}
	}
	return nil
}

// Validate checks that the stream is named by --dest or by --region,
// --account-id and --stream, and checks their values.
func (o *PolicyOptions) Validate() error {
	if o.Dest != "" {
		if o.withDest != "" {
			return cmdutil.FlagErrorf("--dest and --%s cannot be used together: the destination has its own", o.withDest)
		}
		return nil
	}
	if o.missing != "" {
		return cmdutil.FlagErrorf("--%s is required without --dest", o.missing)
	}
	if o.Region == "" {
		return cmdutil.FlagErrorf("--region is required without --dest (or set AWS_REGION)")
	}
	_, err := o.Document() // without --dest, the document is made of flags alone
	return err
}

// Document returns the permissions policy; with --dest, the destination's
// values are read from the store and checked as the flags' would be.
func (o *PolicyOptions) Document() (iampolicy.PermissionsDocument, error) {
	region, account, stream, kms := o.Region, o.AccountID, o.Stream, o.KMSKeyARN
	regionFrom := o.RegionFrom
	if regionFrom == "" {
		regionFrom = "--region"
	}
	src := map[string]string{"region": regionFrom, "account": "--account-id", "stream": "--stream"}
	if o.Dest != "" {
		d, err := shared.Destination(o.Store, o.Dest)
		if err != nil {
			return iampolicy.PermissionsDocument{}, err
		}
		region, account, stream = d.Region, d.AccountID, d.StreamName
		if kms == "" {
			kms = d.KMSKeyARN
		}
		for k := range src {
			src[k] = "--dest " + o.Dest
		}
	}
	if err := awsarn.ValidateRegion(region); err != nil {
		return iampolicy.PermissionsDocument{}, cmdutil.FlagErrorf("%s: %v", src["region"], err)
	}
	if err := awsarn.ValidateAccountID(account); err != nil {
		return iampolicy.PermissionsDocument{}, cmdutil.FlagErrorf("%s: %v", src["account"], err)
	}
	if err := awsarn.ValidateStreamName(stream); err != nil {
		return iampolicy.PermissionsDocument{}, cmdutil.FlagErrorf("%s: %v", src["stream"], err)
	}
	if kms != "" {
		if err := awsarn.ValidateKMSKeyFor(kms, region); err != nil {
			return iampolicy.PermissionsDocument{}, cmdutil.FlagErrorf("--kms-key-arn: %v", err)
		}
	}
	return iampolicy.PermissionsPolicy(region, account, stream, kms), nil
}

func policyRun(_ context.Context, opts *PolicyOptions) error {
	doc, err := opts.Document()
	if err != nil {
		return err
	}
	return shared.PrintDocument(opts.IO.Out, opts.Output, doc)
}
