// Package export implements `ldexport dest export`: the destination as
// Terraform (LaunchDarkly's resource with the IAM role and policy) or as
// LaunchDarkly's API request body. Nothing is sent anywhere.
package export

import (
	"context"
	"fmt"

	"github.com/ldexport/ldexport/pkg/awsarn"
	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/policy"
	"github.com/ldexport/ldexport/pkg/store"
	"github.com/ldexport/ldexport/pkg/tfexport"
	"github.com/spf13/cobra"
)

// ExportOptions are the dependencies and flag values of `dest export`.
type ExportOptions struct {
	IO    *iostreams.IOStreams
	Store func() (*store.Store, error)

	Name                string
	Format              string // terraform or api
	On                  bool
	Restricted          bool
	LaunchDarklyAccount string
}

// NewCmdExport returns `dest export NAME --format terraform|api`; runF replaces exportRun in tests.
func NewCmdExport(f *cmdutil.Factory, runF func(context.Context, *ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{}
	cmd := &cobra.Command{
		Use:   "export NAME --format terraform|api [--on] [--restricted]",
		Short: "Print the destination as Terraform or as LaunchDarkly's API request body",
		Long: `Print the destination for infrastructure as code, with no network:

  terraform  a launchdarkly_destination resource (project_key, env_key, name, kind,
             config = { region, role_arn, stream_name }, on), with the aws_iam_role it
             uses and an aws_iam_role_policy; the policies are the same JSON that
             ldexport iam trust and iam policy print
  api        the body of LaunchDarkly's create request (POST /api/v2/destinations/P/E)`,
		Example: `  ldexport dest export prod --format terraform > ldexport-prod.tf
  ldexport dest export prod --format api --on`,
		Args:              cmdutil.ExactArgs(1, "name the destination: ldexport dest export NAME --format terraform|api"),
		ValidArgsFunction: cmdutil.CompleteDestinationNames(f.Store),
		RunE:              cmdutil.RunE(f, opts, runF, exportRun),
	}
	cmd.Flags().StringVar(&opts.Format, "format", "terraform", "terraform or api")
	cmd.Flags().BoolVar(&opts.On, "on", false, "export with the destination turned on (default off, as Terraform's)")
	cmd.Flags().BoolVar(&opts.Restricted, "restricted", false, "trust only LaunchDarkly's Data Export role, not its whole account")
	cmd.Flags().StringVar(&opts.LaunchDarklyAccount, "launchdarkly-account", "", "LaunchDarkly's AWS account in the role's partition (needed for aws-cn, aws-us-gov)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]cobra.Completion{"terraform", "api"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete takes the name and what export uses from f.
func (o *ExportOptions) Complete(f *cmdutil.Factory, _ *cobra.Command, args []string) error {
	o.IO, o.Store = f.IOStreams, f.Store
	o.Name = args[0]
	return nil
}

// Validate checks the name, --format and --launchdarkly-account.
func (o *ExportOptions) Validate() error {
	if err := shared.ValidateName(o.Name); err != nil {
		return err
	}
	if o.Format != "terraform" && o.Format != "api" {
		return cmdutil.FlagErrorf("--format: %q is not terraform or api", o.Format)
	}
	if o.LaunchDarklyAccount != "" {
		if err := awsarn.ValidateAccountID(o.LaunchDarklyAccount); err != nil {
			return cmdutil.FlagErrorf("--launchdarkly-account: %v", err)
		}
	}
	return nil
}

func exportRun(_ context.Context, opts *ExportOptions) error {
	d, err := shared.Load(opts.Store, opts.Name)
	if err != nil {
		return err
	}
	var out []byte
	if opts.Format == "api" {
		out, err = shared.CreateBody(d, opts.On)
	} else {
		out, err = terraform(d, opts)
	}
	if err != nil {
		return err
	}
	_, err = opts.IO.Out.Write(out)
	return err
}

func terraform(d store.Destination, opts *ExportOptions) ([]byte, error) {
	role, err := awsarn.ParseRoleARN(d.RoleARN)
	if err != nil {
		return nil, cmdutil.UsageErrorf("destination %s: %v", d.Name, err)
	}
	trust, err := policy.TrustPolicyForPartition(role.Partition, opts.LaunchDarklyAccount, opts.Restricted, d.ExternalID)
	if err != nil {
		return nil, cmdutil.UsageErrorf("destination %s: %v", d.Name, err)
	}
	out, err := tfexport.Render(d, tfexport.Options{On: opts.On, Trust: trust})
	if err != nil {
		return nil, cmdutil.UsageErrorf("%v", err)
	}
	if d.ExternalID != "" {
		fmt.Fprintf(opts.IO.ErrOut, "Note: the trust policy demands external ID %q, which LaunchDarkly's Kinesis destination has no field for: LaunchDarkly must present that ID, or the role cannot be assumed; prefer `ldexport iam trust --from-launchdarkly`.\n", d.ExternalID)
	}
	return out, nil
}
