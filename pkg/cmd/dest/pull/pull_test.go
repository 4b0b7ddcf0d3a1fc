package pull

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/destsync"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/ldexport/ldexport/pkg/ldfake"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/store"
)

func TestNewCmdPullFlags(t *testing.T) {
	got, err := cmdtest.ParseFlags(NewCmdPull, "--project mobile --env staging")
	if err != nil || got.Project != "mobile" || got.Environment != "staging" {
		t.Fatalf("%+v %v", got, err)
	}
	_, err = cmdtest.ParseFlags(NewCmdPull, "--env bad/env")
	cmdtest.WantUsageError(t, err, "--env: invalid environment key")
	_, err = cmdtest.ParseFlags(NewCmdPull, "extra")
	if err == nil {
		t.Fatal("an argument was accepted")
	}
}

func TestApplyFiltersAndNeverOverwrites(t *testing.T) {
	role := "arn:aws:iam::123456789012:role/r"
	file := &store.File{Destinations: []store.Destination{
		{Name: "qa", Project: "default", Environment: "qa", Region: "us-east-1", StreamName: "mine", RoleARN: role},
	}}
	remote := []launchdarkly.Destination{
		{ID: "a", Name: "qa", Project: "default", Environment: "qa", Kind: "kinesis", Version: 3, Config: launchdarkly.Kinesis{Region: "us-east-1", RoleArn: role, StreamName: "theirs"}},
		{ID: "b", Name: "mob", Project: "mobile", Environment: "prod", Kind: "kinesis", Version: 1, Config: launchdarkly.Kinesis{Region: "eu-west-1", RoleArn: role, StreamName: "s"}},
		{ID: "c", Name: "bad", Project: "mobile", Environment: "dev", Kind: "kinesis", Config: launchdarkly.Kinesis{Region: "eu-west-1", RoleArn: "not-an-arn", StreamName: "s"}},
	}
	now := time.Date(2026, 11, 26, 10, 0, 0, 5, time.UTC)

	out := apply(file, destsync.Match(file.Destinations, remote), &PullOptions{Project: "mobile"}, now)
	if len(out) != 2 || out[0].Result != "skipped" || out[1].Result != "added" || len(file.Destinations) != 2 {
		t.Fatalf("--project mobile: %+v, store %+v", out, file.Destinations)
	}
	added := file.Destinations[1]
	if added.Name != "mob" || added.AccountID != "123456789012" || added.LaunchDarklyID != "b" || !added.CreatedAt.Equal(now.Truncate(time.Second)) {
		t.Fatalf("added %+v", added)
	}

	out = apply(file, destsync.Match(file.Destinations, remote), &PullOptions{Environment: "qa"}, now)
	if len(out) != 1 || out[0].Result != "conflict" || file.Destinations[0].StreamName != "mine" || file.Destinations[0].LaunchDarklyID != "" {
		t.Fatalf("--env qa: %+v, store %+v", out, file.Destinations[0])
	}
}

// TestHostilePullNeverStoresABadID: an off-spec _id from LaunchDarkly's list
// (missing, a path, a line break) was stored as the link, both for a new
// destination and for linking a matching local one.
func TestHostilePullNeverStoresABadID(t *testing.T) {
	role := "arn:aws:iam::123456789012:role/r"
	cfg := launchdarkly.Kinesis{Region: "us-east-1", RoleArn: role, StreamName: "s"}
	file := &store.File{Destinations: []store.Destination{
		{Name: "qa", Project: "default", Environment: "qa", Region: "us-east-1", StreamName: "s", RoleARN: role},
	}}
	remote := []launchdarkly.Destination{
		{ID: "a/../b\nc", Name: "qa", Project: "default", Environment: "qa", Kind: "kinesis", Config: cfg},
		{ID: "", Name: "mob", Project: "mobile", Environment: "prod", Kind: "kinesis", Config: cfg},
	}
	out := apply(file, destsync.Match(file.Destinations, remote), &PullOptions{}, time.Now())
	if len(file.Destinations) != 1 || file.Destinations[0].LaunchDarklyID != "" {
		t.Fatalf("store %+v, outcomes %+v: want nothing linked or added", file.Destinations, out)
	}
	for _, o := range out {
		if o.Result != "skipped" {
			t.Errorf("outcome %+v: want skipped", o)
		}
	}
}

// TestPullFailsWhenItSkipsADestination: a LaunchDarkly destination that
// cannot be stored was listed as skipped, but the pull exited 0, so a script
// took "pulled" to mean everything. It still adds what it can, says on
// stderr (one line) what it left out, and exits 1.
func TestPullFailsWhenItSkipsADestination(t *testing.T) {
	fake := ldfake.Start(t, "tok")
	fake.Put(ldfake.Destination{Project: "mobile", Environment: "staging", Name: "mobile-staging", Kind: "kinesis",
		Config: map[string]any{"region": "eu-west-1", "roleArn": "arn:aws:iam::210987654321:role/ld-export", "streamName": "ld-staging"}})
	fake.Put(ldfake.Destination{Project: "mobile", Environment: "dev", Name: "mobile-dev", Kind: "kinesis",
		Config: map[string]any{"region": "eu-west-1", "roleArn": "not-an-arn", "streamName": "ld-dev"}})
	ios, _, out, _ := iostreams.Test()
	s := store.New(filepath.Join(t.TempDir(), "config.yaml"))
	opts := &PullOptions{IO: ios, Output: output.Table, Now: func() time.Time { return cmdtest.Clock },
		Store: func() (*store.Store, error) { return s, nil },
		LaunchDarkly: func() (*launchdarkly.Client, error) {
			return launchdarkly.New(launchdarkly.Config{Host: fake.URL, Token: "tok"})
		},
	}
	err := pullRun(context.Background(), opts)
	if cmdutil.ExitCode(err) != cmdutil.ExitRuntime || !strings.Contains(fmt.Sprint(err), "1 LaunchDarkly destination(s) skipped") || strings.Contains(fmt.Sprint(err), "\n") {
		t.Fatalf("err %v: want exit 1 and one line saying one destination was skipped", err)
	}
	if !strings.Contains(out.String(), "skipped") || !strings.Contains(out.String(), "roleArn") {
		t.Errorf("table %q: want the skipped row and its reason", out)
	}
	if d, err := s.Get("mobile-staging"); err != nil || d.StreamName != "ld-staging" {
		t.Errorf("the storable destination was not added: %+v, %v", d, err)
	}
}

func TestNotImported(t *testing.T) {
	tests := []struct {
		results []string
		want    []string // substrings; none: no error
	}{
		{results: []string{"added", "linked", "up to date"}},
		{results: []string{"added", "conflict"}, want: []string{"1 conflict(s)"}},
		{results: []string{"skipped", "skipped"}, want: []string{"2 LaunchDarkly destination(s) skipped"}},
		{results: []string{"conflict", "skipped"}, want: []string{"1 conflict(s)", "; 1 LaunchDarkly destination(s) skipped"}},
	}
	for _, tt := range tests {
		var outcomes []Outcome
		for _, r := range tt.results {
			outcomes = append(outcomes, Outcome{Result: r})
		}
		err := notImported(outcomes)
		if len(tt.want) == 0 {
			if err != nil {
				t.Errorf("%v: %v, want nil", tt.results, err)
			}
			continue
		}
		if cmdutil.ExitCode(err) != cmdutil.ExitRuntime {
			t.Errorf("%v: %v, want exit 1", tt.results, err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %q lacks %q", tt.results, err, w)
			}
		}
	}
}
