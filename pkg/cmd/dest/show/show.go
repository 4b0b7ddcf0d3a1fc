// Package show implements `ldexport dest show`.
package show

import (
	"context"

	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/store"
	"github.com/spf13/cobra"
)

// ShowOptions are the dependencies and arguments of `dest show`.
type ShowOptions struct {
	IO     *iostreams.IOStreams
	Store  func() (*store.Store, error)
	Output output.Format

	Name string
}

// NewCmdShow returns `dest show NAME`; runF replaces showRun in tests.
func NewCmdShow(f *cmdutil.Factory, runF func(context.Context, *ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{}
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show one destination",
		Example: `  ldexport dest show prod
  ldexport dest show prod -o json`,
		Args:              cmdutil.ExactArgs(1, "name the destination: ldexport dest show NAME"),
		ValidArgsFunction: cmdutil.CompleteDestinationNames(f.Store),
		RunE:              cmdutil.RunE(f, opts, runF, showRun),
	}
}

// Complete takes the name and what show uses from f.
func (o *ShowOptions) Complete(f *cmdutil.Factory, _ *cobra.Command, args []string) error {
	o.IO, o.Store, o.Output = f.IOStreams, f.Store, f.Globals.Output
	o.Name = args[0]
	return nil
}

// Validate checks the name's form before the store is opened.
func (o *ShowOptions) Validate() error { return shared.ValidateName(o.Name) }

func showRun(_ context.Context, opts *ShowOptions) error {
	d, err := shared.Load(opts.Store, opts.Name)
	if err != nil {
		return err
	}
	return shared.PrintOne(opts.IO, opts.Output, d)
}
