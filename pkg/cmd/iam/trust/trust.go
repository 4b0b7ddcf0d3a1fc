// Package trust implements `ldexport iam trust`: the trust policy that lets
// LaunchDarkly assume the destination's role.
package trust

import (
	"context"

	"github.com/ldexport/ldexport/pkg/awsarn"
	"github.com/ldexport/ldexport/pkg/cmd/iam/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/policy"
	"github.com/spf13/cobra"
)

// TrustOptions are the dependencies and flag values of `iam trust`.
type TrustOptions struct {
	Factory *cmdutil.Factory

	Dest       string
	Restricted bool
	ExternalID string
	// ExternalIDSet is whether --external-id was given (it overrides the
	// destination's, even when empty).
	ExternalIDSet bool
}

// NewCmdTrust returns `iam trust`; runF replaces trustRun in tests.
func NewCmdTrust(f *cmdutil.Factory, runF func(context.Context, *TrustOptions) error) *cobra.Command {
	opts := &TrustOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "trust [--dest NAME] [--restricted] [--external-id X]",
		Short: "Print the trust policy that lets LaunchDarkly assume the role",
		Long: `Print the role's trust policy: LaunchDarkly's AWS account (554582317989) may assume it,
or with --restricted only LaunchDarkly's Data Export role. An external ID, given or
the destination's, adds an sts:ExternalId condition. Only JSON is printed.`,
		Example: `  ldexport iam trust --restricted
  ldexport iam trust --dest prod
  ldexport iam trust --external-id "$EXTERNAL_ID" > trust.json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ExternalIDSet = cmd.Flags().Changed("external-id")
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return trustRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Dest, "dest", "", "stored destination whose external ID to use")
	cmd.Flags().BoolVar(&opts.Restricted, "restricted", false, "trust only LaunchDarkly's Data Export role, not its whole account")
	cmd.Flags().StringVar(&opts.ExternalID, "external-id", "", "sts:ExternalId the caller must pass (default: the destination's)")
	_ = cmd.RegisterFlagCompletionFunc("dest", cmdutil.DestinationNames(f))
	return cmd
}

// Document validates the options and returns the trust policy.
func (o *TrustOptions) Document() (policy.TrustDocument, error) {
	externalID, src := o.ExternalID, "--external-id"
	if o.Dest != "" {
		d, err := shared.Destination(o.Factory, o.Dest)
		if err != nil {
			return policy.TrustDocument{}, err
		}
		if !o.ExternalIDSet {
			externalID, src = d.ExternalID, "--dest "+o.Dest
		}
	}
	if o.ExternalIDSet || externalID != "" {
		if err := awsarn.ValidateExternalID(externalID); err != nil {
			return policy.TrustDocument{}, cmdutil.FlagErrorf("%s: %v", src, err)
		}
	}
	return policy.TrustPolicy(o.Restricted, externalID), nil
}

func trustRun(opts *TrustOptions) error {
	doc, err := opts.Document()
	if err != nil {
		return err
	}
	return shared.PrintDocument(opts.Factory, doc)
}
