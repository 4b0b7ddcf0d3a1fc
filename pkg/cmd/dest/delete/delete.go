// Package delete implements `ldexport dest delete`.
package delete

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/ldexport/ldexport/pkg/store"

	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/spf13/cobra"
)

// DeleteOptions are the dependencies and flag values of `dest delete`.
type DeleteOptions struct {
	IO           *iostreams.IOStreams
	Store        func() (*store.Store, error)
	LaunchDarkly func() (*launchdarkly.Client, error)

	Name   string
	Yes    bool
	Remote bool
}

// NewCmdDelete returns `dest delete NAME [--yes]`; runF replaces deleteRun in tests.
func NewCmdDelete(f *cmdutil.Factory, runF func(context.Context, *DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{}
	cmd := &cobra.Command{
		Use:     "delete NAME [--yes] [--remote]",
		Aliases: []string{"rm"},
		Short:   "Delete a destination from the local store (with --remote, in LaunchDarkly too)",
		Long: `Delete a destination from the local store; the stream and the IAM role are untouched.
With --remote, first delete the linked destination in LaunchDarkly (token from
LAUNCHDARKLY_ACCESS_TOKEN), so LaunchDarkly stops exporting to the stream.`,
		Example: `  ldexport dest delete staging
  ldexport dest delete staging --yes
  ldexport dest delete staging --yes --remote`,
		Args:              cmdutil.ExactArgs(1, "name the destination: ldexport dest delete NAME"),
		ValidArgsFunction: cmdutil.CompleteDestinationNames(f.Store),
		RunE:              cmdutil.RunE(f, opts, runF, deleteRun),
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "delete without asking")
	cmd.Flags().BoolVar(&opts.Remote, "remote", false, "also delete the linked destination in LaunchDarkly")
	return cmd
}

// Complete takes the name and what delete uses from f.
func (o *DeleteOptions) Complete(f *cmdutil.Factory, _ *cobra.Command, args []string) error {
	o.IO, o.Store, o.LaunchDarkly = f.IOStreams, f.Store, f.LaunchDarkly
	o.Name = args[0]
	return nil
}

// Validate checks the name's form and refuses to delete without --yes
// where nobody can be asked.
func (o *DeleteOptions) Validate() error {
	if err := shared.ValidateName(o.Name); err != nil {
		return err
	}
	if !o.Yes && !o.IO.CanPrompt() {
		return cmdutil.FlagErrorf("--yes is required to delete %q when not on a terminal", o.Name)
	}
	return nil
}

func deleteRun(ctx context.Context, opts *DeleteOptions) error {
	ios := opts.IO
	s, err := opts.Store()
	if err != nil {
		return err
	}
	d, err := shared.Load(opts.Store, opts.Name)
	if err != nil {
		return err
	}
	var client *launchdarkly.Client
	if opts.Remote && d.LaunchDarklyID != "" {
		// A missing token or a bad --ld-api-host (exit 2) is said before the
		// question, not after the user said yes.
		if client, err = opts.LaunchDarkly(); err != nil {
			return err
		}
	}
	if !opts.Yes {
		where := s.Path()
		if opts.Remote && d.LaunchDarklyID != "" {
			where += " and from LaunchDarkly"
		}
		fmt.Fprintf(ios.ErrOut, "Delete destination %s (%s/%s → %s) from %s? [y/N] ", d.Name, d.Project, d.Environment, d.StreamName, where)
		answer, _ := bufio.NewReader(ios.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(ios.ErrOut, "Not deleted.")
			return cmdutil.ErrCancel
		}
	}
	if opts.Remote {
		if err := deleteRemote(ctx, opts.IO, client, d); err != nil {
			return err
		}
	}
	if err := s.Delete(opts.Name); err != nil {
		return shared.StoreError(err)
	}
	fmt.Fprintf(ios.ErrOut, "Deleted destination %s. The stream and the IAM role are untouched.\n", d.Name)
	if !opts.Remote && d.LaunchDarklyID != "" {
		fmt.Fprintf(ios.ErrOut, "LaunchDarkly still has it (%s/%s, ID %s) and keeps exporting to %s. To delete it there too: `ldexport dest pull --project %s --env %s`, then `ldexport dest delete %s --remote` (or delete it on LaunchDarkly's Integrations page).\n", d.Project, d.Environment, d.LaunchDarklyID, d.StreamName, d.Project, d.Environment, d.Name)
	}
	return nil
}

// deleteRemote deletes d's linked destination in LaunchDarkly (with client,
// nil when d is not linked) before the local one goes, so a failure leaves
// both sides as they were.
func deleteRemote(ctx context.Context, ios *iostreams.IOStreams, client *launchdarkly.Client, d store.Destination) error {
	if d.LaunchDarklyID == "" {
		fmt.Fprintf(ios.ErrOut, "Destination %s is not linked to LaunchDarkly (never pushed or pulled): nothing to delete there.\n", d.Name)
		return nil
	}
	existed, err := client.Delete(ctx, d.Project, d.Environment, d.LaunchDarklyID)
	if err != nil {
		return cmdutil.RuntimeErrorf("%v (the local destination is kept)", err)
	}
	if existed {
		fmt.Fprintf(ios.ErrOut, "Deleted destination %s in LaunchDarkly (%s/%s, ID %s).\n", d.Name, d.Project, d.Environment, d.LaunchDarklyID)
	} else {
		fmt.Fprintf(ios.ErrOut, "LaunchDarkly no longer had destination %s (ID %s).\n", d.Name, d.LaunchDarklyID)
	}
	return nil
}
