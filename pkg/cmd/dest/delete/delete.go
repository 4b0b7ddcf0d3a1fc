// Package delete implements `ldexport dest delete`.
package delete

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/spf13/cobra"
)

// DeleteOptions are the dependencies and flag values of `dest delete`.
type DeleteOptions struct {
	Factory *cmdutil.Factory
	Name    string
	Yes     bool
}

// NewCmdDelete returns `dest delete NAME [--yes]`; runF replaces deleteRun in tests.
func NewCmdDelete(f *cmdutil.Factory, runF func(context.Context, *DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{Factory: f}
	cmd := &cobra.Command{
		Use:     "delete NAME [--yes]",
		Aliases: []string{"rm"},
		Short:   "Delete a destination from the local store (not the stream or the role)",
		Example: `  ldexport dest delete staging
  ldexport dest delete staging --yes`,
		Args:              cmdutil.ExactArgs(1, "name the destination: ldexport dest delete NAME"),
		ValidArgsFunction: cmdutil.DestinationNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if !opts.Yes && !f.IOStreams.CanPrompt() {
				return cmdutil.FlagErrorf("--yes is required to delete %q when not on a terminal", opts.Name)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return deleteRun(opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "delete without asking")
	return cmd
}

func deleteRun(opts *DeleteOptions) error {
	f := opts.Factory
	s, err := f.Store()
	if err != nil {
		return err
	}
	d, err := shared.Load(f, opts.Name)
	if err != nil {
		return err
	}
	if !opts.Yes {
		fmt.Fprintf(f.IOStreams.ErrOut, "Delete destination %s (%s/%s → %s) from %s? [y/N] ", d.Name, d.Project, d.Environment, d.StreamName, s.Path())
		answer, _ := bufio.NewReader(f.IOStreams.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(f.IOStreams.ErrOut, "Not deleted.")
			return cmdutil.ErrCancel
		}
	}
	if err := s.Delete(opts.Name); err != nil {
		return shared.StoreError(err)
	}
	fmt.Fprintf(f.IOStreams.ErrOut, "Deleted destination %s. The stream and the IAM role are untouched.\n", d.Name)
	return nil
}
