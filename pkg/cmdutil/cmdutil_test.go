package cmdutil

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/ldexport/ldexport/pkg/store"
	"github.com/spf13/cobra"
)

func TestIsLoopbackAndBoundForRealAWS(t *testing.T) {
	for _, tt := range []struct {
		url  string
		want bool
	}{
		{"http://127.0.0.1:4567", true},
		{"http://localhost:4566", true},
		{"http://[::1]:4567", true},
		{"http://127.9.9.9", true},
		{"", false},
		{"https://kinesis.us-east-1.amazonaws.com", false},
		{"http://10.0.0.1:4567", false},
		{"http://localhost.example.com", false},
		{"::not a url", false},
	} {
		if got := IsLoopback(tt.url); got != tt.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tt.url, got, tt.want)
		}
	}
	local := ServiceEndpoint{"Kinesis", "http://127.0.0.1:4567"}
	iam, sts := ServiceEndpoint{"IAM", ""}, ServiceEndpoint{"STS", "http://127.0.0.1:5055"}
	if got := BoundForRealAWS(local, iam, sts); !slices.Equal(got, []string{"IAM"}) {
		t.Errorf("BoundForRealAWS(local; IAM on AWS, STS local) = %q, want [IAM]", got)
	}
	if got := BoundForRealAWS(ServiceEndpoint{"Kinesis", ""}, iam, sts); got != nil {
		t.Errorf("Kinesis on AWS: %q, want none", got)
	}
	if !iam.RealAWS() || sts.RealAWS() {
		t.Error("RealAWS is not whether the URL is empty")
	}
}

func TestRegionFrom(t *testing.T) {
	var none *GlobalOptions
	for _, tt := range []struct {
		g    *GlobalOptions
		want string
	}{
		{none, "--region"},
		{&GlobalOptions{Region: "eu-west-1"}, "--region"},
		{&GlobalOptions{Region: "eu-west-1", RegionSource: "AWS_REGION"}, "AWS_REGION"},
	} {
		if got := tt.g.RegionFrom(); got != tt.want {
			t.Errorf("%+v: RegionFrom %q, want %q", tt.g, got, tt.want)
		}
	}
}

func TestNewLaunchDarklyClient(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if _, err := NewLaunchDarklyClient(&GlobalOptions{}, env(map[string]string{"LAUNCHDARKLY_ACCESS_TOKEN": "api-x1234567"}), "ldexport/test"); err != nil {
		t.Errorf("token and the default host: %v", err)
	}
	_, err := NewLaunchDarklyClient(&GlobalOptions{}, env(nil), "ldexport/test")
	if !errors.Is(err, launchdarkly.ErrNoToken) || !errors.Is(err, ErrUsage) {
		t.Errorf("no token: %v, want a usage error wrapping ErrNoToken", err)
	}
	_, err = NewLaunchDarklyClient(&GlobalOptions{LDAPIHost: "ftp://app.launchdarkly.com"}, env(map[string]string{"LD_ACCESS_TOKEN": "api-x1234567"}), "ldexport/test")
	if !errors.Is(err, ErrUsage) || !strings.HasPrefix(err.Error(), "--ld-api-host: ") {
		t.Errorf("bad host: %v, want a usage error about --ld-api-host", err)
	}
}

func TestCompleteDestinationNames(t *testing.T) {
	s := store.New(filepath.Join(t.TempDir(), "config.yaml"))
	for _, d := range []store.Destination{
		{Name: "prod", Project: "default", Environment: "production", Region: "us-east-1", StreamName: "ld-events",
			StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/ld-events", RoleARN: "arn:aws:iam::123456789012:role/r", AccountID: "123456789012", CreatedAt: time.Unix(0, 0)},
	} {
		if err := s.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	complete := CompleteDestinationNames(func() (*store.Store, error) { return s, nil })
	cmd := &cobra.Command{Use: "show", Args: ExactArgs(1, "name it")}
	got, dir := complete(cmd, nil, "")
	if dir != cobra.ShellCompDirectiveNoFileComp || len(got) != 1 || got[0] != "prod\tdefault/production → ld-events" {
		t.Errorf("names %q, directive %v", got, dir)
	}
	if got, _ := complete(cmd, []string{"prod"}, ""); len(got) != 0 {
		t.Errorf("a second name offered: %q", got)
	}
	broken := CompleteDestinationNames(func() (*store.Store, error) { return nil, errors.New("no store") })
	if _, dir := broken(cmd, nil, ""); dir != cobra.ShellCompDirectiveError {
		t.Errorf("unreadable store: directive %v, want error", dir)
	}
}

func TestSetPlaceholders(t *testing.T) {
	root := &cobra.Command{Use: "ldexport"}
	root.PersistentFlags().String("region", "", "")
	sub := &cobra.Command{Use: "send", Run: func(*cobra.Command, []string) {}}
	sub.Flags().String("dest", "", "")
	sub.Flags().Int("concurrency", 1, "")
	sub.Flags().Duration("timeout", 0, "")
	sub.Flags().Bool("dry-run", false, "")
	sub.Flags().String("unlisted", "", "")
	root.AddCommand(sub)
	SetPlaceholders(root)
	SetPlaceholders(root) // twice changes nothing
	for name, want := range map[string]string{"dest": "NAME", "concurrency": "N", "timeout": "DURATION", "dry-run": "bool", "unlisted": "string"} {
		if got := sub.Flags().Lookup(name).Value.Type(); got != want {
			t.Errorf("--%s shows %q, want %q", name, got, want)
		}
	}
	if got := root.PersistentFlags().Lookup("region").Value.Type(); got != "REGION" {
		t.Errorf("--region shows %q", got)
	}
	if err := sub.Flags().Set("concurrency", "x"); err == nil || !strings.Contains(TidyFlagError(err).Error(), "whole number") {
		t.Errorf("a placeholder hides the value's type from TidyFlagError: %v", err)
	}
}
