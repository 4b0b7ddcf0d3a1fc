// Package list implements `ldexport dest list`.
package list

import (
	"context"
	"fmt"
	"strings"

	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/destsync"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/store"
	"github.com/spf13/cobra"
)

// ListOptions are the dependencies of `dest list`.
type ListOptions struct {
	IO           *iostreams.IOStreams
	Store        func() (*store.Store, error)
	LaunchDarkly func() (*launchdarkly.Client, error)
	Output       output.Format

	Remote bool
}

// NewCmdList returns `dest list`; runF replaces listRun in tests.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{}
	cmd := &cobra.Command{
		Use:     "list [--remote]",
		Aliases: []string{"ls"},
		Short:   "List destinations (with --remote, beside LaunchDarkly's)",
		Long: `List the stored destinations. With --remote, read LaunchDarkly's Kinesis destinations too
and show both sides: linked (in sync), differs, same but not linked, only local, or only
in LaunchDarkly, with whether LaunchDarkly has the export on.`,
		Example: `  ldexport dest list
  ldexport dest list -o json
  ldexport dest list --remote`,
		Args: cmdutil.NoArgs,
		RunE: cmdutil.RunE(f, opts, runF, listRun),
	}
	cmd.Flags().BoolVar(&opts.Remote, "remote", false, "compare with LaunchDarkly's destinations")
	return cmd
}

// Complete takes what list uses from f.
func (o *ListOptions) Complete(f *cmdutil.Factory, _ *cobra.Command, _ []string) error {
	o.IO, o.Store, o.LaunchDarkly, o.Output = f.IOStreams, f.Store, f.LaunchDarkly, f.Globals.Output
	return nil
}

// Validate has nothing to check: list takes no values.
func (o *ListOptions) Validate() error { return nil }

func listRun(ctx context.Context, opts *ListOptions) error {
	local, err := storedDestinations(opts.Store)
	if err != nil {
		return err
	}
	if opts.Remote {
		return remoteRun(ctx, opts, local)
	}
	return localRun(opts, local)
}

// storedDestinations lists the store's destinations, never nil.
func storedDestinations(openStore func() (*store.Store, error)) ([]store.Destination, error) {
	s, err := openStore()
	if err != nil {
		return nil, err
	}
	ds, err := s.List()
	if err != nil {
		return nil, shared.StoreError(err)
	}
	if ds == nil {
		ds = []store.Destination{}
	}
	return ds, nil
}

// RemoteRow is one line of `dest list --remote`.
type RemoteRow struct {
	Name           string   `json:"name,omitempty"`
	Project        string   `json:"project"`
	Environment    string   `json:"environment"`
	State          string   `json:"state"`
	On             *bool    `json:"on,omitempty"`
	StreamName     string   `json:"streamName"`
	LaunchDarklyID string   `json:"launchDarklyId,omitempty"`
	RemoteName     string   `json:"launchDarklyName,omitempty"`
	Differences    []string `json:"differences,omitempty"`
}

func remoteRun(ctx context.Context, opts *ListOptions, local []store.Destination) error {
	remote, err := shared.RemoteDestinations(ctx, opts.LaunchDarkly)
	if err != nil {
		return err
	}
	rows := []RemoteRow{}
	for _, p := range destsync.Match(local, remote) {
		row := RemoteRow{Project: p.Project(), Environment: p.Environment(), State: string(p.State), Differences: p.Differences}
		if p.Local != nil {
			row.Name, row.StreamName = p.Local.Name, p.Local.StreamName
		}
		if r := p.Remote; r != nil {
			on := r.On
			row.On, row.LaunchDarklyID, row.RemoteName = &on, r.ID, r.Name
			if row.StreamName == "" {
				row.StreamName = r.Config.StreamName
			}
		}
		rows = append(rows, row)
	}
	return output.Write(opts.IO, opts.Output, rows, func() error {
		t := output.NewTablePrinter(opts.IO, "NAME", "PROJECT", "ENVIRONMENT", "STREAM", "STATE", "ON", "LAUNCHDARKLY ID", "DIFFERENCES")
		for _, r := range rows {
			on := "-"
			if r.On != nil {
				on = map[bool]string{true: "on", false: "off"}[*r.On]
			}
			name := r.Name
			if name == "" {
				name = "(" + r.RemoteName + ")"
			}
			t.AddRow(name, r.Project, r.Environment, r.StreamName, r.State, on, r.LaunchDarklyID, strings.Join(r.Differences, "; "))
		}
		return t.Render()
	})
}

func localRun(opts *ListOptions, ds []store.Destination) error {
	return output.Write(opts.IO, opts.Output, ds, func() error {
		if len(ds) == 0 && opts.IO.IsStdoutTTY() {
			_, err := fmt.Fprintln(opts.IO.ErrOut, "No destinations yet. Create one with `ldexport dest create NAME --env ENV --stream STREAM --role-arn ARN`.")
			return err
		}
		t := output.NewTablePrinter(opts.IO, "NAME", "PROJECT", "ENVIRONMENT", "REGION", "STREAM", "ROLE")
		for _, d := range ds {
			t.AddRow(d.Name, d.Project, d.Environment, d.Region, d.StreamName, d.RoleARN)
		}
		return t.Render()
	})
}
