// Package list implements `ldexport dest list`.
package list

import (
	"context"
	"fmt"

	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/store"
	"github.com/spf13/cobra"
)

// ListOptions are the dependencies of `dest list`.
type ListOptions struct {
	Factory *cmdutil.Factory
}

// NewCmdList returns `dest list`; runF replaces listRun in tests.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{Factory: f}
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List destinations",
		Example: `  ldexport dest list
  ldexport dest list -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listRun(opts)
		},
	}
}

func listRun(opts *ListOptions) error {
	f := opts.Factory
	s, err := f.Store()
	if err != nil {
		return err
	}
	ds, err := s.List()
	if err != nil {
		return shared.StoreError(err)
	}
	if ds == nil {
		ds = []store.Destination{}
	}
	return output.Write(f.IOStreams, f.Globals.Output, ds, func() error {
		if len(ds) == 0 && f.IOStreams.IsStdoutTTY() {
			_, err := fmt.Fprintln(f.IOStreams.ErrOut, "No destinations yet. Create one with `ldexport dest create NAME --env ENV --stream STREAM --role-arn ARN`.")
			return err
		}
		t := output.NewTablePrinter(f.IOStreams, "NAME", "PROJECT", "ENVIRONMENT", "REGION", "STREAM", "ROLE")
		for _, d := range ds {
			t.AddRow(d.Name, d.Project, d.Environment, d.Region, d.StreamName, d.RoleARN)
		}
		return t.Render()
	})
}
