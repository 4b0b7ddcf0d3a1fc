// Package show implements `ldexport dest show`.
package show

import (
	"context"

	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/spf13/cobra"
)

// ShowOptions are the dependencies and arguments of `dest show`.
type ShowOptions struct {
	Factory *cmdutil.Factory
	Name    string
}

// NewCmdShow returns `dest show NAME`; runF replaces showRun in tests.
func NewCmdShow(f *cmdutil.Factory, runF func(context.Context, *ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{Factory: f}
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show one destination",
		Example: `  ldexport dest show prod
  ldexport dest show prod -o json`,
		Args:              cmdutil.ExactArgs(1, "name the destination: ldexport dest show NAME"),
		ValidArgsFunction: cmdutil.DestinationNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return showRun(opts)
		},
	}
}

func showRun(opts *ShowOptions) error {
	d, err := shared.Load(opts.Factory, opts.Name)
	if err != nil {
		return err
	}
	return shared.PrintOne(opts.Factory, d)
}
