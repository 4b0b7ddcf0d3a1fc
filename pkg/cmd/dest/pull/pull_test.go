package pull

import (
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/destsync"
	"github.com/ldexport/ldexport/pkg/launchdarkly"
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
