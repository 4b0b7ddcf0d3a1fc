// Package policy implements `ldexport iam policy`: the permissions policy
// LaunchDarkly's role needs to write to a destination's stream.
package policy

import (
	"context"

	"github.com/ldexport/ldexport/pkg/awsarn"
	"github.com/ldexport/ldexport/pkg/cmd/iam/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	iampolicy "github.com/ldexport/ldexport/pkg/policy"
	"github.com/spf13/cobra"
)

// PolicyOptions are the dependencies and flag values of `iam policy`.
type PolicyOptions struct {
	Factory *cmdutil.Factory

	Dest      string
	Region    string
	AccountID string
	Stream    string
	KMSKeyARN string
}

// NewCmdPolicy returns `iam policy`; runF replaces policyRun in tests.
func NewCmdPolicy(f *cmdutil.Factory, runF func(context.Context, *PolicyOptions) error) *cobra.Command {
	opts := &PolicyOptions{Factory: f}
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
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Region = f.Globals.Region
			if opts.Dest != "" {
				for _, name := range []string{"account-id", "stream", "region"} {
					if fl := cmd.Flags().Lookup(name); fl != nil && fl.Changed {
						return cmdutil.FlagErrorf("--dest and --%s cannot be used together: the destination has its own", name)
					}
				}
				opts.Region = ""
			} else {
				for _, name := range []string{"account-id", "stream"} {
					if !cmd.Flags().Changed(name) {
						return cmdutil.FlagErrorf("--%s is required without --dest", name)
					}
				}
				if opts.Region == "" {
					return cmdutil.FlagErrorf("--region is required without --dest (or set AWS_REGION)")
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return policyRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Dest, "dest", "", "stored destination to write the policy for")
	cmd.Flags().StringVar(&opts.AccountID, "account-id", "", "AWS account of the stream (without --dest)")
	cmd.Flags().StringVar(&opts.Stream, "stream", "", "Kinesis stream name (without --dest)")
	cmd.Flags().StringVar(&opts.KMSKeyARN, "kms-key-arn", "", "customer-managed KMS key of the stream (default: the destination's)")
	_ = cmd.RegisterFlagCompletionFunc("dest", cmdutil.DestinationNames(f))
	return cmd
}

// Document validates the options and returns the permissions policy. A
// value that is not acceptable is bad input (exit 2) naming its flag.
func (o *PolicyOptions) Document() (iampolicy.PermissionsDocument, error) {
	region, account, stream, kms := o.Region, o.AccountID, o.Stream, o.KMSKeyARN
	src := map[string]string{"region": o.Factory.Globals.RegionFrom(), "account": "--account-id", "stream": "--stream"}
	if o.Dest != "" {
		d, err := shared.Destination(o.Factory, o.Dest)
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

func policyRun(opts *PolicyOptions) error {
	doc, err := opts.Document()
	if err != nil {
		return err
	}
	return shared.PrintDocument(opts.Factory, doc)
}
