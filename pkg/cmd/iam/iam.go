// Package iam groups the `ldexport iam` commands: the permissions and trust
// policies LaunchDarkly needs, printed or applied.
package iam

import (
	"github.com/ldexport/ldexport/pkg/cmd/iam/apply"
	"github.com/ldexport/ldexport/pkg/cmd/iam/policy"
	"github.com/ldexport/ldexport/pkg/cmd/iam/trust"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmdIAM returns `ldexport iam` and its subcommands.
func NewCmdIAM(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "iam <command>",
		Short: "Print or apply the IAM policies LaunchDarkly needs (policy, trust, apply)",
		Example: `  ldexport iam policy --dest prod
  ldexport iam trust --dest prod --restricted
  ldexport iam apply --dest prod --dry-run`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(policy.NewCmdPolicy(f, nil))
	cmd.AddCommand(trust.NewCmdTrust(f, nil))
	cmd.AddCommand(apply.NewCmdApply(f, nil))
	return cmd
}
