package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/spf13/cobra"
)

// stepOptions records the order RunE calls its steps in.
type stepOptions struct {
	steps       []string
	validateErr error
	args        []string
}

func (o *stepOptions) Complete(_ *Factory, _ *cobra.Command, args []string) error {
	o.steps, o.args = append(o.steps, "complete"), args
	return nil
}

func (o *stepOptions) Validate() error {
	o.steps = append(o.steps, "validate")
	return o.validateErr
}

func TestRunECompletesValidatesThenRuns(t *testing.T) {
	run := func(_ context.Context, o *stepOptions) error { o.steps = append(o.steps, "run"); return nil }
	capture := func(_ context.Context, o *stepOptions) error { o.steps = append(o.steps, "runF"); return nil }
	bad := FlagErrorf("--x: bad")
	tests := []struct {
		name        string
		runF        func(context.Context, *stepOptions) error
		validateErr error
		want        string
		wantErr     error
	}{
		{"run", nil, nil, "complete validate run", nil},
		{"a test's runF instead of run", capture, nil, "complete validate runF", nil},
		{"a usage error stops before run", nil, bad, "complete validate", bad},
		{"and before runF", capture, bad, "complete validate", bad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &stepOptions{validateErr: tt.validateErr}
			err := RunE(&Factory{}, o, tt.runF, run)(&cobra.Command{}, []string{"a"})
			if !errors.Is(err, tt.wantErr) || strings.Join(o.steps, " ") != tt.want || len(o.args) != 1 {
				t.Errorf("steps %q, args %q, err %v; want %q, err %v", o.steps, o.args, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestKinesisEndpointURLPrecedence(t *testing.T) {
	for _, tt := range []struct{ flag, stored, want string }{
		{"", "", ""},
		{"", "http://127.0.0.1:4567", "http://127.0.0.1:4567"},
		{"http://localhost:4566", "http://127.0.0.1:4567", "http://localhost:4566"},
		{"http://localhost:4566", "", "http://localhost:4566"},
	} {
		if got := KinesisEndpointURL(tt.flag, tt.stored); got != tt.want {
			t.Errorf("KinesisEndpointURL(%q, %q) = %q, want %q", tt.flag, tt.stored, got, tt.want)
		}
	}
}

func TestValidateTimeout(t *testing.T) {
	if err := ValidateTimeout(time.Second); err != nil {
		t.Errorf("1s: %v", err)
	}
	for _, d := range []time.Duration{0, -time.Second} {
		if err := ValidateTimeout(d); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "--timeout: must be more than 0") {
			t.Errorf("%s: %v, want a usage error", d, err)
		}
	}
}

func TestNewAWSClientsStopsAtTheFirstFailure(t *testing.T) {
	var made []string
	boom := errors.New("boom")
	newKinesis := func(_ context.Context, region, endpoint string) (*kinesis.Client, error) {
		made = append(made, "kinesis "+region+" "+endpoint)
		return kinesis.New(kinesis.Options{Region: region, BaseEndpoint: aws.String(endpoint)}), nil
	}
	newSTS := func(_ context.Context, region string) (*sts.Client, error) {
		made = append(made, "sts "+region)
		return sts.New(sts.Options{Region: region}), nil
	}
	newIAM := func(_ context.Context, region string) (*iam.Client, error) {
		made = append(made, "iam "+region)
		return iam.New(iam.Options{Region: region}), nil
	}
	c, err := NewAWSClients(context.Background(), "eu-west-1", "http://127.0.0.1:4567", newKinesis, newSTS, newIAM)
	if err != nil || c.Kinesis == nil || c.STS == nil || c.IAM == nil {
		t.Fatalf("clients %+v, err %v", c, err)
	}
	if got := strings.Join(made, ", "); got != "kinesis eu-west-1 http://127.0.0.1:4567, sts eu-west-1, iam eu-west-1" {
		t.Errorf("made %s", got)
	}
	made = nil
	failSTS := func(context.Context, string) (*sts.Client, error) { return nil, boom }
	if _, err := NewAWSClients(context.Background(), "eu-west-1", "", newKinesis, failSTS, newIAM); !errors.Is(err, boom) || len(made) != 1 {
		t.Errorf("err %v, made %q: want boom after Kinesis alone", err, made)
	}
}

func TestErrUsageMatchesEveryUsageError(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{FlagErrorf("--x: bad"), true},
		{UsageErrorf("a.ndjson:1: bad"), true},
		{Usage(errors.New("bad token")), true},
		{fmt.Errorf("--dest: %w", FlagErrorf("bad")), true},
		{&ExitError{Code: ExitUsage, Err: ErrNoRegion}, true},
		{RuntimeErrorf("no stream"), false},
		{errors.New("plain"), false},
		{ErrCancel, false},
	}
	for _, tt := range tests {
		if got := errors.Is(tt.err, ErrUsage); got != tt.want {
			t.Errorf("errors.Is(%v, ErrUsage) = %v, want %v", tt.err, got, tt.want)
		}
	}
	if Usage(nil) != nil {
		t.Error("Usage(nil) is not nil")
	}
}

func TestTidyFlagError(t *testing.T) {
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	cmd.Flags().Int("concurrency", 1, "")
	cmd.Flags().Duration("timeout", 0, "")
	cmd.Flags().Float64("peak", 1, "")
	for _, tt := range []struct{ arg, want string }{
		{"--concurrency=x", `--concurrency: "x" is not a valid whole number`},
		{"--timeout=soon", `--timeout: "soon" is not a valid duration such as 30s, 5m or 1h`},
		{"--peak=high", `--peak: "high" is not a valid number`},
	} {
		err := cmd.ParseFlags([]string{tt.arg})
		if got := TidyFlagError(err); got == nil || got.Error() != tt.want {
			t.Errorf("%s: %v, want %q", tt.arg, got, tt.want)
		}
	}
	other := errors.New("unknown flag: --x")
	if TidyFlagError(other) != other {
		t.Error("an error that is not about a value was rewritten")
	}
}

func TestArgs(t *testing.T) {
	exact := ExactArgs(1, "name the destination")
	cmd := &cobra.Command{Use: "show"}
	for _, tt := range []struct {
		args []string
		want string // "" for no error
	}{
		{[]string{"prod"}, ""},
		{nil, "name the destination"},
		{[]string{"a", "b"}, `too many arguments: ["b"]`},
	} {
		err := exact(cmd, tt.args)
		if tt.want == "" && err != nil || tt.want != "" && (!errors.Is(err, ErrUsage) || err.Error() != tt.want) {
			t.Errorf("ExactArgs(%q) = %v, want %q", tt.args, err, tt.want)
		}
	}
	if err := NoArgs(cmd, nil); err != nil {
		t.Errorf("NoArgs(none) = %v", err)
	}
	if err := NoArgs(cmd, []string{"x"}); !errors.Is(err, ErrUsage) || err.Error() != `unexpected argument "x" for "show"` {
		t.Errorf("NoArgs(x) = %v", err)
	}
}

func TestGroupRunE(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	group := &cobra.Command{Use: "dest", Short: "Manage destinations", RunE: GroupRunE}
	group.AddCommand(&cobra.Command{Use: "list", Run: func(*cobra.Command, []string) {}})
	group.SetOut(ios.Out)
	if err := GroupRunE(group, nil); err != nil || !strings.Contains(out.String(), "list") {
		t.Errorf("no subcommand: err %v, help %q", err, out)
	}
	if err := GroupRunE(group, []string{"bogus"}); !errors.Is(err, ErrUsage) || err.Error() != `unknown command "bogus" for "dest"` {
		t.Errorf("unknown subcommand: %v", err)
	}
}

func TestUsageTemplateShowsGroupsAsCommandFlags(t *testing.T) {
	root := &cobra.Command{Use: "ldexport"}
	group := &cobra.Command{Use: "dest", RunE: GroupRunE}
	group.AddCommand(&cobra.Command{Use: "list", Run: func(*cobra.Command, []string) {}})
	root.AddCommand(group)
	group.SetUsageTemplate(UsageTemplate(group.UsageTemplate()))
	usage := group.UsageString()
	if !strings.Contains(usage, "ldexport dest <command> [flags]") || strings.Contains(usage, "ldexport dest [flags]") ||
		!strings.Contains(usage, `"ldexport dest <command> --help"`) {
		t.Errorf("usage:\n%s", usage)
	}
}
