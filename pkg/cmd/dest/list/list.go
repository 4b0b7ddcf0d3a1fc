// Package list implements `ldexport dest list`.
package list

import (
	"context"
	"fmt"
	"strings"

	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/destsync"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/store"
	"github.com/spf13/cobra"
)

// ListOptions are the dependencies of `dest list`.
type ListOptions struct {
	Factory *cmdutil.Factory
	Remote  bool
}

// NewCmdList returns `dest list`; runF replaces listRun in tests.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{Factory: f}
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
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			if opts.Remote {
				return remoteRun(cmd.Context(), opts)
			}
			return listRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Remote, "remote", false, "compare with LaunchDarkly's destinations")
	return cmd
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

func remoteRun(ctx context.Context, opts *ListOptions) error {
	f := opts.Factory
	s, err := f.Store()
	if err != nil {
		return err
	}
	local, err := s.List()
	if err != nil {
		return shared.StoreError(err)
	}
	remote, err := shared.RemoteDestinations(ctx, f)
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
	return output.Write(f.IOStreams, f.Globals.Output, rows, func() error {
		t := output.NewTablePrinter(f.IOStreams, "NAME", "PROJECT", "ENVIRONMENT", "STREAM", "STATE", "ON", "LAUNCHDARKLY ID", "DIFFERENCES")
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
