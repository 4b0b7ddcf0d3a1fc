// Package trust implements `ldexport iam trust`: the trust policy that lets
// LaunchDarkly assume the destination's role, built offline or asked of
// LaunchDarkly (--from-launchdarkly).
package trust

import (
	"context"
	"fmt"
	"strings"

	"github.com/ldexport/ldexport/pkg/awsarn"
	"github.com/ldexport/ldexport/pkg/cmd/iam/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/ldexport/ldexport/pkg/ldkey"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/policy"
	"github.com/ldexport/ldexport/pkg/store"
	"github.com/spf13/cobra"
)

// TrustOptions are the dependencies and flag values of `iam trust`.
type TrustOptions struct {
	IO           *iostreams.IOStreams
	Store        func() (*store.Store, error)
	LaunchDarkly func() (*launchdarkly.Client, error)
	Output       output.Format

	Dest       string
	Restricted bool
	ExternalID string
	// ExternalIDSet is whether --external-id was given (it overrides the
	// destination's, even when empty).
	ExternalIDSet bool
	// LaunchDarklyAccount is LaunchDarkly's AWS account in the role's
	// partition (required for aws-cn and aws-us-gov).
	LaunchDarklyAccount string

	FromLaunchDarkly bool
	Project          string
	Environment      string
}

// NewCmdTrust returns `iam trust`; runF replaces trustRun in tests.
func NewCmdTrust(f *cmdutil.Factory, runF func(context.Context, *TrustOptions) error) *cobra.Command {
	opts := &TrustOptions{}
	cmd := &cobra.Command{
		Use:   "trust [--dest NAME] [--restricted] [--external-id X] | --from-launchdarkly (--dest NAME | --project P --env E)",
		Short: "Print the trust policy that lets LaunchDarkly assume the role",
		Long: `Print the role's trust policy: LaunchDarkly's AWS account (554582317989) may assume it,
or with --restricted only LaunchDarkly's Data Export role. An external ID, given or
the destination's, adds an sts:ExternalId condition; LaunchDarkly's Kinesis destination
has no external-ID field, so such a policy works only if LaunchDarkly presents that ID.

A role in aws-cn or aws-us-gov cannot be assumed from LaunchDarkly's commercial account
(AssumeRole does not cross partitions): name LaunchDarkly's account in that partition
with --launchdarkly-account.

With --from-launchdarkly, ask LaunchDarkly for the trust policy it generates for the
project environment (POST .../generate-trust-policy; token from
LAUNCHDARKLY_ACCESS_TOKEN), print it in the same layout, and say on stderr how it
differs from the offline one, or warn when, for --dest, it names a principal in another
partition than the role's. Only JSON (or YAML with -o yaml) is printed on stdout.`,
		Example: `  ldexport iam trust --restricted
  ldexport iam trust --dest prod
  ldexport iam trust --from-launchdarkly --dest prod > trust.json`,
		Args: cmdutil.NoArgs,
		RunE: cmdutil.RunE(f, opts, runF, trustRun),
	}
	cmd.Flags().StringVar(&opts.Dest, "dest", "", "stored destination whose external ID (and partition) to use")
	cmd.Flags().BoolVar(&opts.Restricted, "restricted", false, "trust only LaunchDarkly's Data Export role, not its whole account")
	cmd.Flags().StringVar(&opts.ExternalID, "external-id", "", "sts:ExternalId the caller must pass (default: the destination's); LaunchDarkly must present it")
	cmd.Flags().StringVar(&opts.LaunchDarklyAccount, "launchdarkly-account", "", "LaunchDarkly's AWS account in the role's partition (needed for aws-cn, aws-us-gov)")
	cmd.Flags().BoolVar(&opts.FromLaunchDarkly, "from-launchdarkly", false, "ask LaunchDarkly for the trust policy it generates")
	cmd.Flags().StringVar(&opts.Project, "project", "", "LaunchDarkly project key (with --from-launchdarkly)")
	cmd.Flags().StringVar(&opts.Environment, "env", "", "LaunchDarkly environment key (with --from-launchdarkly)")
	_ = cmd.RegisterFlagCompletionFunc("dest", cmdutil.CompleteDestinationNames(f.Store))
	return cmd
}

// Complete takes what trust uses from f and whether --external-id was given.
func (o *TrustOptions) Complete(f *cmdutil.Factory, cmd *cobra.Command, _ []string) error {
	o.IO, o.Store, o.LaunchDarkly, o.Output = f.IOStreams, f.Store, f.LaunchDarkly, f.Globals.Output
	o.ExternalIDSet = cmd.Flags().Changed("external-id")
	return nil
}

// Validate checks which flags go together and the values given.
func (o *TrustOptions) Validate() error {
	if o.LaunchDarklyAccount != "" {
		if err := awsarn.ValidateAccountID(o.LaunchDarklyAccount); err != nil {
			return cmdutil.FlagErrorf("--launchdarkly-account: %v", err)
		}
	}
	if o.FromLaunchDarkly {
		if o.ExternalIDSet || o.LaunchDarklyAccount != "" {
			return cmdutil.FlagErrorf("--from-launchdarkly prints LaunchDarkly's own policy: drop --external-id and --launchdarkly-account")
		}
		if (o.Dest == "") == (o.Project == "" || o.Environment == "") {
			return cmdutil.FlagErrorf("--from-launchdarkly needs --dest NAME, or --project P and --env E")
		}
		if o.Dest == "" {
			if err := ldkey.ValidateProjectKey(o.Project); err != nil {
				return cmdutil.FlagErrorf("--project: %v", err)
			}
			if err := ldkey.ValidateEnvironmentKey(o.Environment); err != nil {
				return cmdutil.FlagErrorf("--env: %v", err)
			}
		}
		return nil
	}
	if o.Project != "" || o.Environment != "" {
		return cmdutil.FlagErrorf("--project and --env go with --from-launchdarkly")
	}
	if o.ExternalIDSet {
		if err := awsarn.ValidateExternalID(o.ExternalID); err != nil {
			return cmdutil.FlagErrorf("--external-id: %v", err)
		}
	}
	return nil
}

// Document returns the offline trust policy; with --dest, the destination's
// external ID (unless --external-id) and partition, checked.
func (o *TrustOptions) Document() (policy.TrustDocument, error) {
	externalID, src := o.ExternalID, "--external-id"
	partition := "aws"
	if o.Dest != "" {
		d, err := shared.Destination(o.Store, o.Dest)
		if err != nil {
			return policy.TrustDocument{}, err
		}
		if !o.ExternalIDSet {
			externalID, src = d.ExternalID, "--dest "+o.Dest
		}
		if role, err := awsarn.ParseRoleARN(d.RoleARN); err == nil {
			partition = role.Partition
		}
	}
	if o.ExternalIDSet || externalID != "" {
		if err := awsarn.ValidateExternalID(externalID); err != nil {
			return policy.TrustDocument{}, cmdutil.FlagErrorf("%s: %v", src, err)
		}
	}
	doc, err := policy.TrustPolicyForPartition(partition, o.LaunchDarklyAccount, o.Restricted, externalID)
	if err != nil {
		return policy.TrustDocument{}, cmdutil.UsageErrorf("--dest %s: %v", o.Dest, err)
	}
	if externalID != "" && o.IO != nil {
		fmt.Fprintf(o.IO.ErrOut, "Warning: this trust policy demands external ID %q (%s), but LaunchDarkly's Kinesis destination has no external-ID field: LaunchDarkly must present that ID or cannot assume the role. Prefer LaunchDarkly's own policy: ldexport iam trust --from-launchdarkly.\n", externalID, src)
	}
	return doc, nil
}

func trustRun(ctx context.Context, opts *TrustOptions) error {
	if opts.FromLaunchDarkly {
		return fromLaunchDarklyRun(ctx, opts)
	}
	doc, err := opts.Document()
	if err != nil {
		return err
	}
	return shared.PrintDocument(opts.IO.Out, opts.Output, doc)
}

func fromLaunchDarklyRun(ctx context.Context, opts *TrustOptions) error {
	ios := opts.IO
	project, env, externalID := opts.Project, opts.Environment, ""
	partition := "" // the destination role's; unknown without --dest
	if opts.Dest != "" {
		d, err := shared.Destination(opts.Store, opts.Dest)
		if err != nil {
			return err
		}
		project, env, externalID = d.Project, d.Environment, d.ExternalID
		if role, err := awsarn.ParseRoleARN(d.RoleARN); err == nil {
			partition = role.Partition
		}
	}
	doc, err := shared.LaunchDarklyTrust(ctx, opts.LaunchDarkly, project, env)
	if err != nil {
		return err
	}
	if err := shared.PrintDocument(ios.Out, opts.Output, doc); err != nil {
		return err
	}
	if partition != "" {
		// As `iam apply --trust-from-launchdarkly` refuses it; the comparison
		// with the offline policy below would suggest applying it.
		if err := shared.CheckPrincipals(doc, partition, ""); err != nil {
			fmt.Fprintf(ios.ErrOut, "Warning: %v: this policy cannot let LaunchDarkly assume destination %s's role.\n", err, opts.Dest)
			return nil
		}
	}
	ours, _ := policy.Marshal(policy.TrustPolicy(opts.Restricted, externalID))
	theirs, _ := policy.Marshal(doc)
	diffs := policy.TrustDifferences(theirs, ours, "LaunchDarkly's", "the offline one")
	if len(diffs) == 0 {
		fmt.Fprintln(ios.ErrOut, "LaunchDarkly's trust policy says the same as the offline one (ldexport iam trust).")
		return nil
	}
	fmt.Fprintf(ios.ErrOut, "LaunchDarkly's trust policy differs from the offline one (ldexport iam trust%s): %s. Apply LaunchDarkly's with `ldexport iam apply --dest NAME --trust-from-launchdarkly`.\n", map[bool]string{true: " --restricted"}[opts.Restricted], strings.Join(diffs, "; "))
	return nil
}
