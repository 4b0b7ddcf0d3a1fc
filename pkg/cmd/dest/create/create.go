// Package create implements `ldexport dest create`.
package create

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ldexport/ldexport/pkg/awsarn"
	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/ldkey"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/store"
	"github.com/spf13/cobra"
)

// CreateOptions are the dependencies and flag values of `dest create`.
type CreateOptions struct {
	Factory *cmdutil.Factory

	Name        string
	Project     string
	Environment string
	Stream      string
	RoleARN     string
	Region      string
	AccountID   string
	ExternalID  string
	KMSKeyARN   string
	EndpointURL string
}

// NewCmdCreate returns `dest create`; runF replaces createRun in tests.
func NewCmdCreate(f *cmdutil.Factory, runF func(context.Context, *CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "create NAME --env ENV --stream STREAM --role-arn ARN",
		Short: "Record a Kinesis destination for one LaunchDarkly environment",
		Example: `  ldexport dest create prod --env production --stream ld-events \
    --role-arn arn:aws:iam::123456789012:role/ld-export --region us-east-1`,
		Args: cmdutil.ExactArgs(1, "name the destination: ldexport dest create NAME ..."),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			opts.Region = f.Globals.Region
			opts.EndpointURL = f.Globals.EndpointURL
			for _, req := range []string{"env", "stream", "role-arn"} {
				if !cmd.Flags().Changed(req) {
					return cmdutil.FlagErrorf("--%s is required", req)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return createRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Environment, "env", "", "LaunchDarkly environment key (required)")
	cmd.Flags().StringVar(&opts.Stream, "stream", "", "Kinesis stream name (required)")
	cmd.Flags().StringVar(&opts.RoleARN, "role-arn", "", "IAM role LaunchDarkly assumes (required)")
	cmd.Flags().StringVar(&opts.Project, "project", "default", "LaunchDarkly project key")
	cmd.Flags().StringVar(&opts.AccountID, "account-id", "", "AWS account of the stream (default: the role ARN's)")
	cmd.Flags().StringVar(&opts.ExternalID, "external-id", "", "sts:ExternalId the role's trust policy requires")
	cmd.Flags().StringVar(&opts.KMSKeyARN, "kms-key-arn", "", "customer-managed KMS key that encrypts the stream")
	return cmd
}

// Build validates the options and returns the destination they describe.
// Every failure is invalid input and names the flag.
func (o *CreateOptions) Build(ctx context.Context) (store.Destination, error) {
	if err := store.ValidateName(o.Name); err != nil {
		return store.Destination{}, &cmdutil.FlagError{Err: err}
	}
	if err := ldkey.ValidateEnvironmentKey(o.Environment); err != nil {
		return store.Destination{}, cmdutil.FlagErrorf("--env: %v", err)
	}
	if err := ldkey.ValidateProjectKey(o.Project); err != nil {
		return store.Destination{}, cmdutil.FlagErrorf("--project: %v", err)
	}
	if err := awsarn.ValidateStreamName(o.Stream); err != nil {
		return store.Destination{}, cmdutil.FlagErrorf("--stream: %v", err)
	}
	role, err := awsarn.ParseRoleARN(o.RoleARN)
	if err != nil {
		return store.Destination{}, cmdutil.FlagErrorf("--role-arn: %v", err)
	}
	region, regionFrom := o.Region, o.Factory.Globals.RegionFrom()
	if region == "" {
		cfg, err := o.Factory.AWSConfig(ctx, "")
		if err != nil && !errors.Is(err, cmdutil.ErrNoRegion) && cmdutil.ExitCode(err) == cmdutil.ExitUsage {
			return store.Destination{}, err // a malformed region in the configuration: say so, not "none"
		}
		if err != nil || cfg.Region == "" {
			return store.Destination{}, cmdutil.FlagErrorf("--region: no region given and none in the AWS configuration (set --region or AWS_REGION)")
		}
		region, regionFrom = cfg.Region, "the AWS configuration's region"
	}
	if err := awsarn.ValidateRegion(region); err != nil {
		return store.Destination{}, cmdutil.FlagErrorf("%s: %v", regionFrom, err)
	}
	if p := awsarn.Partition(region); p != role.Partition {
		return store.Destination{}, cmdutil.FlagErrorf("--role-arn: partition %q does not match region %s (partition %q)", role.Partition, region, p)
	}
	account := o.AccountID
	if account == "" {
		account = role.AccountID
	} else if err := awsarn.ValidateAccountID(account); err != nil {
		return store.Destination{}, cmdutil.FlagErrorf("--account-id: %v", err)
	} else if account != role.AccountID {
		return store.Destination{}, cmdutil.FlagErrorf("--account-id: %s differs from the role ARN's account %s (the role must live in the stream's account)", account, role.AccountID)
	}
	if o.ExternalID != "" {
		if err := awsarn.ValidateExternalID(o.ExternalID); err != nil {
			return store.Destination{}, cmdutil.FlagErrorf("--external-id: %v", err)
		}
	}
	if o.KMSKeyARN != "" {
		if err := awsarn.ValidateKMSKeyFor(o.KMSKeyARN, region); err != nil {
			return store.Destination{}, cmdutil.FlagErrorf("--kms-key-arn: %v", err)
		}
	}
	if o.EndpointURL != "" {
		if err := awsarn.ValidateEndpointURL(o.EndpointURL); err != nil {
			return store.Destination{}, cmdutil.FlagErrorf("--endpoint-url: %v", err)
		}
	}
	return store.Destination{
		Name:        o.Name,
		Project:     o.Project,
		Environment: o.Environment,
		Region:      region,
		StreamName:  o.Stream,
		StreamARN:   awsarn.StreamARN(region, account, o.Stream),
		RoleARN:     o.RoleARN,
		AccountID:   account,
		ExternalID:  o.ExternalID,
		KMSKeyARN:   o.KMSKeyARN,
		EndpointURL: o.EndpointURL,
		CreatedAt:   o.Factory.Now().UTC().Truncate(time.Second),
	}, nil
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	d, err := opts.Build(ctx)
	if err != nil {
		return err
	}
	f := opts.Factory
	s, err := f.Store()
	if err != nil {
		return err
	}
	if err := s.Add(d); err != nil {
		return shared.StoreError(err)
	}
	if d.ExternalID != "" {
		fmt.Fprintf(f.IOStreams.ErrOut, "Warning: --external-id %q: LaunchDarkly's Kinesis destination has no external-ID field, so a role that demands this ID can only be assumed if LaunchDarkly presents it. Prefer the trust policy LaunchDarkly generates: ldexport iam trust --from-launchdarkly --dest %s.\n", d.ExternalID, d.Name)
	}
	if f.Globals.Output != output.Table {
		return shared.PrintOne(f, d)
	}
	fmt.Fprintf(f.IOStreams.Out, "Created destination %s: %s/%s → %s\n", d.Name, d.Project, d.Environment, d.StreamARN)
	fmt.Fprintf(f.IOStreams.ErrOut, "Next: `ldexport iam policy --dest %s` and `ldexport iam trust --dest %s`, then `ldexport dest check %s`.\n", d.Name, d.Name, d.Name)
	return nil
}
