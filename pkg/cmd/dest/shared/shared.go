// Package shared holds what the dest commands share: store error mapping and
// how a destination is printed.
package shared

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/ldexport/ldexport/pkg/awsarn"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/policy"
	"github.com/ldexport/ldexport/pkg/store"
)

// StoreError gives a store error its contract exit code: an unknown name is a
// run-time failure (1); a taken name or environment is invalid input (2);
// everything else (unreadable or corrupt store, lock timeout) is 1.
func StoreError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrExists), errors.Is(err, store.ErrEnvTaken):
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
	default:
		return &cmdutil.ExitError{Code: cmdutil.ExitRuntime, Err: err}
	}
}

// Load returns the stored destination called name from the store that
// openStore opens: an unknown name or an unreadable store is a run-time
// failure (exit 1).
func Load(openStore func() (*store.Store, error), name string) (store.Destination, error) {
	s, err := openStore()
	if err != nil {
		return store.Destination{}, err
	}
	d, err := s.Get(name)
	return d, StoreError(err)
}

// ValidateName is the usage rule (exit 2) of a destination NAME argument,
// checked in Validate before the store is opened: a malformed name is bad
// input, not an unknown destination.
func ValidateName(name string) error {
	if err := store.ValidateName(name); err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	return nil
}

// ValidateTarget is the usage rule (exit 2) of --dest NAME | --stream S:
// exactly one, each well formed, checked before any call reaches Kinesis.
func ValidateTarget(dest, stream string) error {
	if (dest == "") == (stream == "") {
		return cmdutil.FlagErrorf("name the target: exactly one of --dest NAME or --stream S")
	}
	if stream != "" {
		if err := awsarn.ValidateStreamName(stream); err != nil {
			return cmdutil.FlagErrorf("--stream: %v", err)
		}
		return nil
	}
	if err := store.ValidateName(dest); err != nil {
		return cmdutil.FlagErrorf("--dest: %v", err)
	}
	return nil
}

// Target is the stream a command reads or writes.
type Target struct {
	Stream   string
	Region   string // empty: --region, then the AWS configuration's
	Endpoint string // --endpoint-url, else the destination's; empty: the SDK's settings, then AWS's own
	// Destination is the stored destination named (zero for --stream).
	Destination store.Destination
}

// Resolve is the one resolver of the stream a command acts on, for tail,
// dest test, dest check and send: `--dest NAME` (or a NAME argument, with
// stream "") is looked up in the store openStore opens; `--stream S` names
// the stream alone. The caller has checked that exactly one is given.
// endpointURL is --endpoint-url (GlobalOptions.EndpointURL); the endpoint's
// precedence is decided here, once (cmdutil.KinesisEndpointURL).
func Resolve(openStore func() (*store.Store, error), endpointURL, dest, stream string) (Target, error) {
	if dest == "" {
		return Target{Stream: stream, Endpoint: endpointURL}, nil
	}
	d, err := Load(openStore, dest)
	if err != nil {
		return Target{}, err
	}
	return Target{Stream: d.StreamName, Region: d.Region, Endpoint: cmdutil.KinesisEndpointURL(endpointURL, d.EndpointURL), Destination: d}, nil
}

// Fields lists a destination's fields in contract order as key/value pairs,
// leaving out empty optional ones.
func Fields(d store.Destination) [][2]string {
	rows := [][2]string{
		{"name", d.Name},
		{"project", d.Project},
		{"environment", d.Environment},
		{"region", d.Region},
		{"streamName", d.StreamName},
		{"streamArn", d.StreamARN},
		{"roleArn", d.RoleARN},
		{"accountId", d.AccountID},
	}
	for _, opt := range [][2]string{{"externalId", d.ExternalID}, {"kmsKeyArn", d.KMSKeyARN}, {"endpointUrl", d.EndpointURL}} {
		if opt[1] != "" {
			rows = append(rows, opt)
		}
	}
	rows = append(rows, [2]string{"createdAt", d.CreatedAt.UTC().Format(time.RFC3339)})
	if d.LaunchDarklyID != "" {
		rows = append(rows, [2]string{"launchDarklyId", d.LaunchDarklyID}, [2]string{"launchDarklyVersion", strconv.Itoa(d.LaunchDarklyVersion)})
	}
	return rows
}

// PrintOne prints one destination: JSON or YAML with the contract's keys, or
// a two-column FIELD/VALUE table.
func PrintOne(ios *iostreams.IOStreams, format output.Format, d store.Destination) error {
	return output.Write(ios, format, d, func() error {
		t := output.NewTablePrinter(ios, "FIELD", "VALUE")
		for _, kv := range Fields(d) {
			t.AddRow(kv[0], kv[1])
		}
		return t.Render()
	})
}

// Spec is what LaunchDarkly should hold for a local destination.
func Spec(d store.Destination, on bool) launchdarkly.Spec {
	return launchdarkly.Spec{Name: d.Name, On: on, Config: launchdarkly.Kinesis{Region: d.Region, RoleArn: d.RoleARN, StreamName: d.StreamName}}
}

// CreateBody is the body of LaunchDarkly's create request for d, printed the
// way policies are (policy.Marshal): what `dest push --dry-run` and
// `dest export --format api` print.
func CreateBody(d store.Destination, on bool) ([]byte, error) {
	return policy.Marshal(launchdarkly.NewCreateRequest(Spec(d, on)))
}

// CreatePath is the path LaunchDarkly's create request goes to.
func CreatePath(d store.Destination) string {
	return "/api/v2/destinations/" + url.PathEscape(d.Project) + "/" + url.PathEscape(d.Environment)
}

// RemoteDestinations lists every destination in LaunchDarkly; a failure is
// a run-time error (exit 1), a missing token or bad host invalid input (2).
func RemoteDestinations(ctx context.Context, newClient func() (*launchdarkly.Client, error)) ([]launchdarkly.Destination, error) {
	client, err := newClient()
	if err != nil {
		return nil, err
	}
	remote, err := client.List(ctx)
	if err != nil {
		return nil, cmdutil.RuntimeErrorf("%v", err)
	}
	return remote, nil
}
