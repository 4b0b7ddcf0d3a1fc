// Package pull implements `ldexport dest pull`: import LaunchDarkly's
// Kinesis destinations into the local store, linking the ones it already has.
package pull

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ldexport/ldexport/pkg/awsarn"
	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/destsync"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/ldexport/ldexport/pkg/ldkey"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/quote"
	"github.com/ldexport/ldexport/pkg/store"
	"github.com/spf13/cobra"
)

// PullOptions are the dependencies and flag values of `dest pull`.
type PullOptions struct {
	IO           *iostreams.IOStreams
	Store        func() (*store.Store, error)
	LaunchDarkly func() (*launchdarkly.Client, error)
	Now          func() time.Time
	Output       output.Format

	Project     string
	Environment string
}

// NewCmdPull returns `dest pull [--project P] [--env E]`; runF replaces pullRun in tests.
func NewCmdPull(f *cmdutil.Factory, runF func(context.Context, *PullOptions) error) *cobra.Command {
	opts := &PullOptions{}
	cmd := &cobra.Command{
		Use:   "pull [--project P] [--env E]",
		Short: "Import LaunchDarkly's Kinesis destinations into the local store",
		Long: `Read LaunchDarkly's Kinesis destinations (GET /api/v2/destinations) and add the ones the
store lacks, or link a local destination of the same project and environment with the
same region, role and stream. A local destination that differs from LaunchDarkly's is
reported as a conflict (exit 1) and left as it is; nothing local is overwritten. A
LaunchDarkly destination that cannot be stored (an invalid role ARN, region or stream
name, or ID) is reported as skipped, with the reason, and the exit is 1 as well.`,
		Example: `  ldexport dest pull
  ldexport dest pull --project default --env production`,
		Args: cmdutil.NoArgs,
		RunE: cmdutil.RunE(f, opts, runF, pullRun),
	}
	cmd.Flags().StringVar(&opts.Project, "project", "", "only this project key")
	cmd.Flags().StringVar(&opts.Environment, "env", "", "only this environment key")
	return cmd
}

// Complete takes what pull uses from f.
func (o *PullOptions) Complete(f *cmdutil.Factory, _ *cobra.Command, _ []string) error {
	o.IO, o.Store, o.LaunchDarkly, o.Now, o.Output = f.IOStreams, f.Store, f.LaunchDarkly, f.Now, f.Globals.Output
	return nil
}

// Validate checks the --project and --env filters.
func (o *PullOptions) Validate() error {
	if o.Project != "" {
		if err := ldkey.ValidateProjectKey(o.Project); err != nil {
			return cmdutil.FlagErrorf("--project: %v", err)
		}
	}
	if o.Environment != "" {
		if err := ldkey.ValidateEnvironmentKey(o.Environment); err != nil {
			return cmdutil.FlagErrorf("--env: %v", err)
		}
	}
	return nil
}

// Outcome is what pull did with one LaunchDarkly destination.
type Outcome struct {
	Name           string `json:"name,omitempty"`
	Project        string `json:"project"`
	Environment    string `json:"environment"`
	LaunchDarklyID string `json:"launchDarklyId"`
	Result         string `json:"result"` // added, linked, up to date, conflict, skipped
	Detail         string `json:"detail,omitempty"`
}

func pullRun(ctx context.Context, opts *PullOptions) error {
	ios := opts.IO
	remote, err := shared.RemoteDestinations(ctx, opts.LaunchDarkly)
	if err != nil {
		return err
	}
	s, err := opts.Store()
	if err != nil {
		return err
	}
	var outcomes []Outcome
	err = s.Update(func(file *store.File) error {
		outcomes = apply(file, destsync.Match(file.Destinations, remote), opts, opts.Now())
		return nil
	})
	if err != nil {
		return cmdutil.RuntimeErrorf("%v", err)
	}
	if outcomes == nil {
		outcomes = []Outcome{}
	}
	err = output.Write(ios, opts.Output, outcomes, func() error {
		if len(outcomes) == 0 {
			_, err := fmt.Fprintln(ios.ErrOut, "LaunchDarkly has no Kinesis destinations to import.")
			return err
		}
		t := output.NewTablePrinter(ios, "RESULT", "NAME", "PROJECT", "ENVIRONMENT", "LAUNCHDARKLY ID", "DETAIL")
		for _, o := range outcomes {
			t.AddRow(o.Result, o.Name, o.Project, o.Environment, o.LaunchDarklyID, o.Detail)
		}
		return t.Render()
	})
	if err != nil {
		return err
	}
	return notImported(outcomes)
}

// notImported is the run-time failure (exit 1) of a pull that left out
// something the user asked for: a conflict with a local destination, or a
// LaunchDarkly destination that cannot be stored (skipped); nil when every
// one was added, linked or up to date.
func notImported(outcomes []Outcome) error {
	conflicts, skipped := 0, 0
	for _, o := range outcomes {
		switch o.Result {
		case "conflict":
			conflicts++
		case "skipped":
			skipped++
		}
	}
	var reasons []string
	if conflicts > 0 {
		reasons = append(reasons, fmt.Sprintf("%d conflict(s) with LaunchDarkly: nothing local was overwritten; fix the local destination (dest delete, dest create) or push it (dest push) to make LaunchDarkly match", conflicts))
	}
	if skipped > 0 {
		reasons = append(reasons, fmt.Sprintf("%d LaunchDarkly destination(s) skipped: they cannot be stored as they are (each one's detail says why); fix them in LaunchDarkly and pull again", skipped))
	}
	if len(reasons) == 0 {
		return nil
	}
	return cmdutil.RuntimeErrorf("%s", strings.Join(reasons, "; "))
}

// apply changes file for every pair with a LaunchDarkly side that passes
// the filters, and says what it did.
func apply(file *store.File, pairs []destsync.Pair, opts *PullOptions, now time.Time) []Outcome {
	index := func(name string) int {
		for i, d := range file.Destinations {
			if d.Name == name {
				return i
			}
		}
		return -1
	}
	var outcomes []Outcome
	for _, p := range pairs {
		r := p.Remote
		if r == nil || (opts.Project != "" && r.Project != opts.Project) || (opts.Environment != "" && r.Environment != opts.Environment) {
			continue
		}
		o := Outcome{Project: r.Project, Environment: r.Environment, LaunchDarklyID: r.ID}
		if !launchdarkly.ValidID(r.ID) {
			// Never stored: it would be a broken link (or a multi-line value).
			o.LaunchDarklyID, o.Result, o.Detail = "", "skipped", "_id: not a LaunchDarkly destination ID: "+quote.Input(r.ID)
			outcomes = append(outcomes, o)
			continue
		}
		switch p.State {
		case destsync.Linked, destsync.Unlinked:
			o.Name, o.Result = p.Local.Name, "up to date"
			if p.State == destsync.Unlinked {
				o.Result = "linked"
			}
			i := index(p.Local.Name)
			file.Destinations[i].LaunchDarklyID, file.Destinations[i].LaunchDarklyVersion = r.ID, r.Version
		case destsync.Differs:
			o.Name, o.Result, o.Detail = p.Local.Name, "conflict", "local → LaunchDarkly: "+strings.Join(p.Differences, "; ")
		case destsync.RemoteOnly:
			d, err := fromRemote(*p.Remote, now, func(n string) bool { return index(n) >= 0 })
			if err != nil {
				o.Result, o.Detail = "skipped", err.Error()
				break
			}
			if taken := envTaken(file, d); taken != "" {
				o.Result, o.Detail = "conflict", fmt.Sprintf("local destination %s already exports %s/%s (linked to another LaunchDarkly ID)", taken, d.Project, d.Environment)
				break
			}
			file.Destinations = append(file.Destinations, d)
			o.Name, o.Result, o.Detail = d.Name, "added", d.StreamName+" in "+d.Region
		}
		outcomes = append(outcomes, o)
	}
	return outcomes
}

func envTaken(file *store.File, d store.Destination) string {
	for _, e := range file.Destinations {
		if e.Project == d.Project && e.Environment == d.Environment {
			return e.Name
		}
	}
	return ""
}

// fromRemote makes a local destination out of LaunchDarkly's, checked with
// the store's own rules (those of `dest create`).
func fromRemote(r launchdarkly.Destination, now time.Time, taken func(string) bool) (store.Destination, error) {
	c := r.Config
	role, err := awsarn.ParseRoleARN(c.RoleArn)
	if err != nil {
		return store.Destination{}, fmt.Errorf("roleArn: %v", err)
	}
	d := store.Destination{
		Name:                destsync.LocalName(r, taken),
		Project:             r.Project,
		Environment:         r.Environment,
		Region:              c.Region,
		StreamName:          c.StreamName,
		StreamARN:           awsarn.StreamARN(c.Region, role.AccountID, c.StreamName),
		RoleARN:             c.RoleArn,
		AccountID:           role.AccountID,
		CreatedAt:           now.UTC().Truncate(time.Second),
		LaunchDarklyID:      r.ID,
		LaunchDarklyVersion: r.Version,
	}
	if field, err := d.Validate(); err != nil {
		return store.Destination{}, fmt.Errorf("%s: %v", field, err)
	}
	return d, nil
}
