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
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/ldkey"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/store"
	"github.com/spf13/cobra"
)

// CreateOptions are the dependencies and flag values of `dest create`.
type CreateOptions struct {
	IO     *iostreams.IOStreams
	Store  func() (*store.Store, error)
	Now    func() time.Time
	Output output.Format

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
	// RegionFrom names where Region came from, for error messages ("" is
	// --region).
	RegionFrom string

	missing   string // the first required flag not given
	regionErr error  // why no region could be found
}

// NewCmdCreate returns `dest create`; runF replaces createRun in tests.
func NewCmdCreate(f *cmdutil.Factory, runF func(context.Context, *CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{}
	cmd := &cobra.Command{
		Use:   "create NAME --env ENV --stream STREAM --role-arn ARN",
		Short: "Record a Kinesis destination for one LaunchDarkly environment",
		Example: `  ldexport dest create prod --env production --stream ld-events \
    --role-arn arn:aws:iam::123456789012:role/ld-export --region us-east-1`,
		Args: cmdutil.ExactArgs(1, "name the destination: ldexport dest create NAME ..."),
		RunE: cmdutil.RunE(f, opts, runF, createRun),
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

// Complete takes the name, --region and --endpoint-url, and what create uses
// from f; without --region, the region is the AWS configuration's.
func (o *CreateOptions) Complete(f *cmdutil.Factory, cmd *cobra.Command, args []string) error {
	o.IO, o.Store, o.Now, o.Output = f.IOStreams, f.Store, f.Now, f.Globals.Output
	o.Name = args[0]
	o.Region, o.RegionFrom, o.EndpointURL = f.Globals.Region, f.Globals.RegionFrom(), f.Globals.EndpointURL
	for _, req := range []string{"env", "stream", "role-arn"} {
		if !cmd.Flags().Changed(req) {
			o.missing = req
			break
		}
	}
	if o.Region == "" && o.missing == "" {
		cfg, err := f.AWSConfig(cmd.Context(), "")
		switch {
		case err != nil && !errors.Is(err, cmdutil.ErrNoRegion) && errors.Is(err, cmdutil.ErrUsage):
			o.regionErr = err // a malformed region in the configuration: say so, not "none"
		case err != nil || cfg.Region == "":
			o.regionErr = cmdutil.FlagErrorf("--region: no region given and none in the AWS configuration (set --region or AWS_REGION)")
		default:
			o.Region, o.RegionFrom = cfg.Region, "the AWS configuration's region"
		}
	}
	return nil
}

// Validate checks every flag; all failures are invalid input and name the flag.
func (o *CreateOptions) Validate() error {
	if o.missing != "" {
		return cmdutil.FlagErrorf("--%s is required", o.missing)
	}
	_, err := o.destination()
	return err
}

// destination returns the destination the options describe, or the usage
// error that Validate reports.
func (o *CreateOptions) destination() (store.Destination, error) {
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
	region, regionFrom := o.Region, o.RegionFrom
	if regionFrom == "" {
		regionFrom = "--region"
	}
	if o.regionErr != nil {
		return store.Destination{}, o.regionErr
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
		CreatedAt:   o.Now().UTC().Truncate(time.Second),
	}, nil
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	d, err := opts.destination() // Validate's checks: a caller that skipped it still gets them
	if err != nil {
		return err
	}
	ios := opts.IO
	s, err := opts.Store()
	if err != nil {
		return err
	}
	if err := s.Add(d); err != nil {
		return shared.StoreError(err)
	}
	if d.ExternalID != "" {
		fmt.Fprintf(ios.ErrOut, "Warning: --external-id %q: LaunchDarkly's Kinesis destination has no external-ID field, so a role that demands this ID can only be assumed if LaunchDarkly presents it. Prefer the trust policy LaunchDarkly generates: ldexport iam trust --from-launchdarkly --dest %s.\n", d.ExternalID, d.Name)
	}
	if opts.Output != output.Table {
		return shared.PrintOne(ios, opts.Output, d)
	}
	fmt.Fprintf(ios.Out, "Created destination %s: %s/%s → %s\n", d.Name, d.Project, d.Environment, d.StreamARN)
	fmt.Fprintf(ios.ErrOut, "Next: `ldexport iam policy --dest %s` and `ldexport iam trust --dest %s`, then `ldexport dest check %s`.\n", d.Name, d.Name, d.Name)
	return nil
}
