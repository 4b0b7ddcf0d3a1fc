package create

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/store"
)

const role = "arn:aws:iam::123456789012:role/ld-export"

func TestNewCmdCreateParsesFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		globals cmdutil.GlobalOptions
		want    CreateOptions
		wantErr string
	}{
		{
			name: "required and defaults, region from the AWS configuration",
			args: []string{"prod", "--env", "production", "--stream", "ld-events", "--role-arn", role},
			want: CreateOptions{Name: "prod", Project: "default", Environment: "production", Stream: "ld-events", RoleARN: role, Region: "us-east-1", RegionFrom: "the AWS configuration's region"},
		},
		{
			name:    "every flag, region and endpoint from globals",
			args:    []string{"prod", "--env", "e", "--stream", "s", "--role-arn", role, "--project", "p", "--account-id", "123456789012", "--external-id", "xid", "--kms-key-arn", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
			globals: cmdutil.GlobalOptions{Region: "eu-west-1", EndpointURL: "http://127.0.0.1:4567"},
			want: CreateOptions{Name: "prod", Project: "p", Environment: "e", Stream: "s", RoleARN: role, Region: "eu-west-1", RegionFrom: "--region", AccountID: "123456789012", ExternalID: "xid",
				KMSKeyARN: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", EndpointURL: "http://127.0.0.1:4567"},
		},
		{name: "no name", args: []string{"--env", "e", "--stream", "s", "--role-arn", role}, wantErr: "name the destination"},
		{name: "two names", args: []string{"a", "b", "--env", "e", "--stream", "s", "--role-arn", role}, wantErr: "too many arguments"},
		{name: "missing env", args: []string{"prod", "--stream", "s", "--role-arn", role}, wantErr: "--env is required"},
		{name: "missing stream", args: []string{"prod", "--env", "e", "--role-arn", role}, wantErr: "--stream is required"},
		{name: "missing role", args: []string{"prod", "--env", "e", "--stream", "s"}, wantErr: "--role-arn is required"},
		{name: "bad value", args: []string{"prod", "--env", "e", "--stream", "a b", "--role-arn", role}, wantErr: "--stream: invalid stream name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			*e.Factory.Globals = tt.globals
			got, err := cmdtest.ParseArgs(e.Factory, NewCmdCreate, tt.args...)
			if tt.wantErr != "" {
				cmdtest.WantUsageError(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cmdtest.WantValues(t, got, &tt.want)
		})
	}
}

func opts(e *cmdtest.Env, mut func(*CreateOptions)) *CreateOptions {
	f := e.Factory
	o := &CreateOptions{IO: f.IOStreams, Store: f.Store, Now: f.Now, Output: f.Globals.Output,
		Name: "prod", Project: "default", Environment: "production", Stream: "ld-events", RoleARN: role, Region: "us-east-1"}
	if mut != nil {
		mut(o)
	}
	return o
}

func TestCreateRunStoresDestination(t *testing.T) {
	e := cmdtest.New(t)
	if err := createRun(context.Background(), opts(e, func(o *CreateOptions) { o.ExternalID = "ld-xid"; o.EndpointURL = "http://127.0.0.1:4567" })); err != nil {
		t.Fatal(err)
	}
	d, err := store.New(e.StorePath).Get("prod")
	if err != nil {
		t.Fatal(err)
	}
	want := store.Destination{
		Name: "prod", Project: "default", Environment: "production", Region: "us-east-1", StreamName: "ld-events",
		StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/ld-events", RoleARN: role, AccountID: "123456789012",
		ExternalID: "ld-xid", EndpointURL: "http://127.0.0.1:4567", CreatedAt: cmdtest.Clock,
	}
	if d != want {
		t.Errorf("stored %+v\nwant   %+v", d, want)
	}
	if !strings.Contains(e.Out.String(), "Created destination prod") {
		t.Errorf("stdout = %q", e.Out.String())
	}
}

func TestCreateRunPartitionFollowsRegion(t *testing.T) {
	tests := []struct{ region, role, arn string }{
		{"cn-north-1", "arn:aws-cn:iam::123456789012:role/r", "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/ld-events"},
		{"us-gov-west-1", "arn:aws-us-gov:iam::123456789012:role/r", "arn:aws-us-gov:kinesis:us-gov-west-1:123456789012:stream/ld-events"},
	}
	for _, tt := range tests {
		e := cmdtest.New(t)
		o := opts(e, func(o *CreateOptions) { o.Region = tt.region; o.RoleARN = tt.role })
		d, err := o.destination()
		if err != nil {
			t.Fatal(err)
		}
		if d.StreamARN != tt.arn {
			t.Errorf("%s: stream ARN %s, want %s", tt.region, d.StreamARN, tt.arn)
		}
	}
}

func TestCreateRunRegionFallsBackToAWSConfig(t *testing.T) {
	e := cmdtest.New(t)
	t.Setenv("AWS_REGION", "eu-west-2")
	args := []string{"prod", "--env", "production", "--stream", "ld-events", "--role-arn", role}
	o, err := cmdtest.ParseArgs(e.Factory, NewCmdCreate, args...)
	if err != nil {
		t.Fatal(err)
	}
	if o.Region != "eu-west-2" {
		t.Errorf("region = %s, want the AWS config's eu-west-2", o.Region)
	}
	t.Setenv("AWS_REGION", "")
	_, err = cmdtest.ParseArgs(e.Factory, NewCmdCreate, args...)
	cmdtest.WantUsageError(t, err, "--region")
}

func TestCreateRunRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		mut  func(*CreateOptions)
		want string
	}{
		{"bad name", func(o *CreateOptions) { o.Name = "-prod" }, "invalid destination name"},
		{"bad region", func(o *CreateOptions) { o.Region = "useast1" }, "--region: invalid region"},
		{"bad stream", func(o *CreateOptions) { o.Stream = "a b" }, "--stream: invalid stream name"},
		{"bad role", func(o *CreateOptions) { o.RoleARN = "arn:aws:iam::123:role/x" }, "--role-arn: invalid role ARN"},
		{"role partition mismatch", func(o *CreateOptions) { o.Region = "cn-north-1" }, "--role-arn: partition"},
		{"bad account", func(o *CreateOptions) { o.AccountID = "12345" }, "--account-id: invalid account ID"},
		{"account differs", func(o *CreateOptions) { o.AccountID = "210987654321" }, "--account-id: 210987654321 differs"},
		{"bad external id", func(o *CreateOptions) { o.ExternalID = "a" }, "--external-id"},
		{"bad kms", func(o *CreateOptions) { o.KMSKeyARN = "key" }, "--kms-key-arn"},
		{"bad endpoint", func(o *CreateOptions) { o.EndpointURL = "localhost:4567" }, "--endpoint-url"},
		{"empty env", func(o *CreateOptions) { o.Environment = "" }, "--env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			cmdtest.WantUsageError(t, opts(e, tt.mut).Validate(), tt.want)
			// createRun makes the same checks for a caller that skipped Validate.
			cmdtest.WantUsageError(t, createRun(context.Background(), opts(e, tt.mut)), tt.want)
			if ds, _ := store.New(e.StorePath).List(); len(ds) != 0 {
				t.Errorf("invalid destination was stored: %+v", ds)
			}
		})
	}
}

func TestCreateRunDuplicates(t *testing.T) {
	e := cmdtest.New(t)
	if err := createRun(context.Background(), opts(e, nil)); err != nil {
		t.Fatal(err)
	}
	err := createRun(context.Background(), opts(e, func(o *CreateOptions) { o.Environment = "staging" }))
	if !errors.Is(err, store.ErrExists) || cmdutil.ExitCode(err) != 2 {
		t.Errorf("duplicate name: %v", err)
	}
	err = createRun(context.Background(), opts(e, func(o *CreateOptions) { o.Name = "prod2" }))
	if !errors.Is(err, store.ErrEnvTaken) || cmdutil.ExitCode(err) != 2 {
		t.Errorf("duplicate environment: %v", err)
	}
}
