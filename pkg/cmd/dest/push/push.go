// Package push implements `ldexport dest push`: create the destination in
// LaunchDarkly, or bring the linked one up to date with a JSON Patch of only
// what changed, and record LaunchDarkly's ID and version in the store.
package push

import (
	"context"
	"fmt"
	"net/http"

	"github.com/ldexport/ldexport/pkg/awsarn"
	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/ldexport/ldexport/pkg/ldapi"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/policy"
	"github.com/ldexport/ldexport/pkg/store"
	"github.com/spf13/cobra"
)

// PushOptions are the dependencies and flag values of `dest push`.
type PushOptions struct {
	IO           *iostreams.IOStreams
	Store        func() (*store.Store, error)
	LaunchDarkly func() (*launchdarkly.Client, error)
	Output       output.Format

	Name   string
	On     bool
	SetOn  bool // --on or --off was given
	DryRun bool

	off bool // --off
}

// NewCmdPush returns `dest push NAME [--on|--off] [--dry-run]`; runF replaces pushRun in tests.
func NewCmdPush(f *cmdutil.Factory, runF func(context.Context, *PushOptions) error) *cobra.Command {
	opts := &PushOptions{}
	cmd := &cobra.Command{
		Use:   "push NAME [--on|--off] [--dry-run]",
		Short: "Create or update the destination in LaunchDarkly",
		Long: `Create the destination in LaunchDarkly (kind kinesis, with its region, role ARN and
stream name), or, when it is already linked, patch only what changed. The store records
LaunchDarkly's ID and version (launchDarklyId, launchDarklyVersion). A push with nothing
to change says so. A new destination is created off unless --on is given (Terraform's
default too); --on and --off turn the export on or off, otherwise it is left as it is.

The access token comes from LAUNCHDARKLY_ACCESS_TOKEN (or LD_ACCESS_TOKEN); the host from
--ld-api-host. --dry-run prints the request body and sends nothing (for a linked
destination it reads LaunchDarkly's copy to work out the patch).`,
		Example: `  ldexport dest push prod --dry-run
  ldexport dest push prod --on`,
		Args:              cmdutil.ExactArgs(1, "name the destination: ldexport dest push NAME"),
		ValidArgsFunction: cmdutil.CompleteDestinationNames(f.Store),
		RunE:              cmdutil.RunE(f, opts, runF, pushRun),
	}
	cmd.Flags().BoolVar(&opts.On, "on", false, "turn the export on")
	cmd.Flags().BoolVar(&opts.off, "off", false, "turn the export off")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print the request body; send nothing")
	return cmd
}

// Result is what push prints with -o json or yaml.
type Result struct {
	Name                string          `json:"name"`
	Action              string          `json:"action"` // created, updated, unchanged, linked, or with --dry-run would-create, would-update
	Method              string          `json:"method,omitempty"`
	Path                string          `json:"path,omitempty"`
	Body                any             `json:"body,omitempty"`
	LaunchDarklyID      string          `json:"launchDarklyId,omitempty"`
	LaunchDarklyVersion int             `json:"launchDarklyVersion,omitempty"`
	Patch               ldapi.JSONPatch `json:"patch,omitempty"`
}

// Complete takes the name and what push uses from f; SetOn says whether
// --on or --off was given.
func (o *PushOptions) Complete(f *cmdutil.Factory, _ *cobra.Command, args []string) error {
	o.IO, o.Store, o.LaunchDarkly, o.Output = f.IOStreams, f.Store, f.LaunchDarkly, f.Globals.Output
	o.Name = args[0]
	o.SetOn = o.On || o.off
	return nil
}

// Validate checks the name and that --on and --off are not both given.
func (o *PushOptions) Validate() error {
	if err := shared.ValidateName(o.Name); err != nil {
		return err
	}
	if o.On && o.off {
		return cmdutil.FlagErrorf("--on and --off cannot be used together")
	}
	return nil
}

func pushRun(ctx context.Context, opts *PushOptions) error {
	d, err := shared.Load(opts.Store, opts.Name)
	if err != nil {
		return err
	}
	if err := push(ctx, opts, d); err != nil {
		return err
	}
	// Said after success only: a failure is one line on stderr.
	for _, w := range warnings(d) {
		fmt.Fprintln(opts.IO.ErrOut, "Warning: "+w)
	}
	return nil
}

func push(ctx context.Context, opts *PushOptions, d store.Destination) error {
	if opts.DryRun && d.LaunchDarklyID == "" {
		return dryRunCreate(opts, d)
	}
	client, err := opts.LaunchDarkly()
	if err != nil {
		return err
	}
	spec := shared.Spec(d, opts.On)
	if opts.DryRun {
		return dryRunUpdate(ctx, opts, client, d, spec)
	}
	s, err := opts.Store()
	if err != nil {
		return err
	}
	var res Result
	recreated := false
	if d.LaunchDarklyID != "" {
		got, patch, err := client.Update(ctx, d.Project, d.Environment, d.LaunchDarklyID, spec, opts.SetOn)
		switch {
		case launchdarkly.IsStatus(err, http.StatusNotFound):
			// As for an unlinked push: the environment may have another
			// destination by now, and LaunchDarkly allows only one.
			res, err = linkOrCreate(ctx, client, d, spec, opts.SetOn)
			recreated = err == nil && res.Action == "created"
		case err == nil:
			res = Result{Name: d.Name, Action: "updated", Method: http.MethodPatch, LaunchDarklyID: got.ID, LaunchDarklyVersion: got.Version, Patch: patch}
			if len(patch) == 0 {
				res.Action, res.Method = "unchanged", ""
			}
		}
		if err != nil {
			return cmdutil.RuntimeErrorf("%v", err)
		}
	} else {
		if res, err = linkOrCreate(ctx, client, d, spec, opts.SetOn); err != nil {
			return err
		}
	}
	if res.LaunchDarklyID != d.LaunchDarklyID || res.LaunchDarklyVersion != d.LaunchDarklyVersion {
		if err := s.Link(d.Name, res.LaunchDarklyID, res.LaunchDarklyVersion); err != nil {
			return cmdutil.RuntimeErrorf("LaunchDarkly has destination %s (ID %s, version %d), but the store could not record it: %v", d.Name, res.LaunchDarklyID, res.LaunchDarklyVersion, err)
		}
	}
	if recreated {
		fmt.Fprintf(opts.IO.ErrOut, "The linked destination (LaunchDarkly ID %s) was no longer in LaunchDarkly, so %s was created again.\n", d.LaunchDarklyID, d.Name)
	}
	return printResult(opts, d, res)
}

// linkOrCreate creates the destination, unless LaunchDarkly already has a
// Kinesis destination of the same name in that environment (an earlier push
// whose answer was lost): that one is linked and brought up to date. Any
// other destination there is a conflict (LaunchDarkly allows one per
// environment, of any kind).
func linkOrCreate(ctx context.Context, client *launchdarkly.Client, d store.Destination, spec launchdarkly.Spec, setOn bool) (Result, error) {
	remote, err := client.List(ctx)
	if err != nil {
		return Result{}, cmdutil.RuntimeErrorf("%v", err)
	}
	for _, r := range remote {
		if r.Project != d.Project || r.Environment != d.Environment {
			continue
		}
		if r.Kind != launchdarkly.KindKinesis {
			return Result{}, cmdutil.RuntimeErrorf("LaunchDarkly already has a %s destination %q (ID %s) in %s/%s, and allows one Data Export destination per environment: delete it there first", r.Kind, r.Name, r.ID, d.Project, d.Environment)
		}
		if r.Name != d.Name {
			return Result{}, cmdutil.RuntimeErrorf("LaunchDarkly already has Kinesis destination %q (ID %s) in %s/%s: import it with `ldexport dest pull --project %s --env %s`, or delete it there", r.Name, r.ID, d.Project, d.Environment, d.Project, d.Environment)
		}
		got, patch, err := client.Update(ctx, d.Project, d.Environment, r.ID, spec, setOn)
		if err != nil {
			return Result{}, cmdutil.RuntimeErrorf("%v", err)
		}
		return Result{Name: d.Name, Action: "linked", LaunchDarklyID: got.ID, LaunchDarklyVersion: got.Version, Patch: patch}, nil
	}
	res, err := create(ctx, client, d, spec)
	if err != nil {
		return Result{}, cmdutil.RuntimeErrorf("%v", err)
	}
	return res, nil
}

func create(ctx context.Context, client *launchdarkly.Client, d store.Destination, spec launchdarkly.Spec) (Result, error) {
	got, err := client.Create(ctx, d.Project, d.Environment, spec)
	if err != nil {
		return Result{}, err
	}
	return Result{Name: d.Name, Action: "created", Method: http.MethodPost, Path: shared.CreatePath(d), LaunchDarklyID: got.ID, LaunchDarklyVersion: got.Version}, nil
}

func printResult(opts *PushOptions, d store.Destination, res Result) error {
	if opts.Output != output.Table {
		return output.Write(opts.IO, opts.Output, res, nil)
	}
	out := opts.IO.Out
	var err error
	switch res.Action {
	case "created":
		_, err = fmt.Fprintf(out, "Created destination %s in LaunchDarkly (%s/%s, ID %s, version %d).\n", d.Name, d.Project, d.Environment, res.LaunchDarklyID, res.LaunchDarklyVersion)
	case "unchanged":
		_, err = fmt.Fprintf(out, "Nothing to change: LaunchDarkly's destination %s (ID %s, version %d) matches.\n", d.Name, res.LaunchDarklyID, res.LaunchDarklyVersion)
	default:
		verb := "Updated"
		if res.Action == "linked" {
			verb = "Linked to LaunchDarkly's existing"
		}
		_, err = fmt.Fprintf(out, "%s destination %s (ID %s, now version %d)", verb, d.Name, res.LaunchDarklyID, res.LaunchDarklyVersion)
		for i, op := range res.Patch {
			sep := "; changed "
			if i > 0 {
				sep = ", "
			}
			fmt.Fprintf(out, "%s%s", sep, op.Path)
		}
		fmt.Fprintln(out, ".")
	}
	return err
}

// dryRunCreate prints the create request body on stdout (what it would send
// where on stderr), with no network and no token.
func dryRunCreate(opts *PushOptions, d store.Destination) error {
	on := opts.On
	body, err := shared.CreateBody(d, on)
	if err != nil {
		return err
	}
	if opts.Output != output.Table {
		return output.Write(opts.IO, opts.Output, Result{Name: d.Name, Action: "would-create", Method: http.MethodPost, Path: shared.CreatePath(d), Body: launchdarkly.NewCreateRequest(shared.Spec(d, on))}, nil)
	}
	fmt.Fprintf(opts.IO.ErrOut, "Dry run: would send POST %s with this body:\n", shared.CreatePath(d))
	_, err = opts.IO.Out.Write(body)
	return err
}

// dryRunUpdate reads LaunchDarkly's copy and prints the patch push would send.
func dryRunUpdate(ctx context.Context, opts *PushOptions, client *launchdarkly.Client, d store.Destination, spec launchdarkly.Spec) error {
	ios := opts.IO
	have, err := client.Get(ctx, d.Project, d.Environment, d.LaunchDarklyID)
	if err != nil {
		return cmdutil.RuntimeErrorf("%v", err)
	}
	patch := launchdarkly.Diff(have, spec, opts.SetOn)
	path := shared.CreatePath(d) + "/" + d.LaunchDarklyID
	if opts.Output != output.Table {
		res := Result{Name: d.Name, Action: "unchanged", LaunchDarklyID: have.ID, LaunchDarklyVersion: have.Version}
		if len(patch) > 0 {
			res.Action, res.Method, res.Path, res.Body = "would-update", http.MethodPatch, path, patch
		}
		return output.Write(ios, opts.Output, res, nil)
	}
	if len(patch) == 0 {
		_, err := fmt.Fprintf(ios.Out, "Nothing to change: LaunchDarkly's destination %s (ID %s, version %d) matches.\n", d.Name, have.ID, have.Version)
		return err
	}
	body, err := policy.Marshal(patch)
	if err != nil {
		return err
	}
	fmt.Fprintf(ios.ErrOut, "Dry run: would send PATCH %s with this body:\n", path)
	_, err = ios.Out.Write(body)
	return err
}

// warnings are what LaunchDarkly will not be able to do with d as it is.
func warnings(d store.Destination) []string {
	var out []string
	if d.EndpointURL != "" {
		out = append(out, fmt.Sprintf("destination %s sends to %s locally, but LaunchDarkly writes to the real Kinesis stream %s in %s", d.Name, d.EndpointURL, d.StreamName, d.Region))
	}
	if role, err := awsarn.ParseRoleARN(d.RoleARN); err == nil && role.Partition != "aws" {
		out = append(out, fmt.Sprintf("role %s is in partition %s: LaunchDarkly's commercial account cannot assume it (AssumeRole does not cross partitions)", d.RoleARN, role.Partition))
	}
	if d.ExternalID != "" {
		out = append(out, fmt.Sprintf("destination %s has external ID %q, which LaunchDarkly's Kinesis destination has no field for: the role's trust policy must not demand it unless LaunchDarkly presents it (see ldexport iam trust --from-launchdarkly)", d.Name, d.ExternalID))
	}
	return out
}
