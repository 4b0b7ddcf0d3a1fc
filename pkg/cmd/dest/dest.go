// Package dest groups the `ldexport dest` commands.
package dest

import (
	"github.com/ldexport/ldexport/pkg/cmd/dest/check"
	"github.com/ldexport/ldexport/pkg/cmd/dest/create"
	"github.com/ldexport/ldexport/pkg/cmd/dest/delete"
	"github.com/ldexport/ldexport/pkg/cmd/dest/export"
	"github.com/ldexport/ldexport/pkg/cmd/dest/list"
	"github.com/ldexport/ldexport/pkg/cmd/dest/pull"
	"github.com/ldexport/ldexport/pkg/cmd/dest/push"
	"github.com/ldexport/ldexport/pkg/cmd/dest/show"
	"github.com/ldexport/ldexport/pkg/cmd/dest/test"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmdDest returns `ldexport dest` and its subcommands.
func NewCmdDest(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dest <command>",
		Short: "Manage Data Export destinations (create, list, show, delete, test, check, push, pull, export)",
		Example: `  ldexport dest create prod --env production --stream ld-events --role-arn arn:aws:iam::123456789012:role/ld-export
  ldexport dest list
  ldexport dest check prod
  ldexport dest push prod`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(create.NewCmdCreate(f, nil))
	cmd.AddCommand(list.NewCmdList(f, nil))
	cmd.AddCommand(show.NewCmdShow(f, nil))
	cmd.AddCommand(delete.NewCmdDelete(f, nil))
	cmd.AddCommand(test.NewCmdTest(f, nil))
	cmd.AddCommand(check.NewCmdCheck(f, nil))
	cmd.AddCommand(push.NewCmdPush(f, nil))
	cmd.AddCommand(pull.NewCmdPull(f, nil))
	cmd.AddCommand(export.NewCmdExport(f, nil))
	return cmd
}
