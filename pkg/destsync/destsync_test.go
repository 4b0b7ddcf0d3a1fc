package destsync

import (
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/ldexport/ldexport/pkg/store"
)

func local(name, project, env, stream, id string) store.Destination {
	return store.Destination{Name: name, Project: project, Environment: env, Region: "us-east-1", StreamName: stream,
		RoleARN: "arn:aws:iam::123456789012:role/r", LaunchDarklyID: id}
}

func remote(id, name, project, env, stream string) launchdarkly.Destination {
	return launchdarkly.Destination{ID: id, Name: name, Project: project, Environment: env, Kind: launchdarkly.KindKinesis,
		Config: launchdarkly.Kinesis{Region: "us-east-1", RoleArn: "arn:aws:iam::123456789012:role/r", StreamName: stream}}
}

func TestMatch(t *testing.T) {
	pubsub := remote("p1", "pubsub", "default", "dev", "")
	pubsub.Kind = "google-pubsub"
	noEnv := remote("x1", "lost", "", "", "s")
	pairs := Match(
		[]store.Destination{
			local("prod", "default", "production", "s1", "r1"),      // linked, same
			local("stage", "default", "staging", "mine", "r2"),      // linked, stream differs
			local("qa", "default", "qa", "s3", ""),                  // same env and config, unlinked
			local("dev", "default", "dev", "s4", ""),                // nothing in LaunchDarkly (pubsub ignored)
			local("gone", "default", "gone", "s5", "deleted-there"), // linked to an ID LaunchDarkly no longer has
		},
		[]launchdarkly.Destination{
			remote("r1", "prod", "default", "production", "s1"),
			remote("r2", "stage", "default", "staging", "theirs"),
			remote("r3", "qa", "default", "qa", "s3"),
			remote("r4", "mobile", "mobile", "production", "s6"),
			pubsub, noEnv,
		})
	want := map[string]State{"default/production": Linked, "default/staging": Differs, "default/qa": Unlinked,
		"default/dev": LocalOnly, "default/gone": LocalOnly, "mobile/production": RemoteOnly}
	if len(pairs) != len(want) {
		t.Fatalf("got %d pairs, want %d: %+v", len(pairs), len(want), pairs)
	}
	for _, p := range pairs {
		key := p.Project() + "/" + p.Environment()
		if p.State != want[key] {
			t.Errorf("%s: %s, want %s", key, p.State, want[key])
		}
		if key == "default/staging" && (len(p.Differences) != 1 || p.Differences[0] != "streamName: mine → theirs") {
			t.Errorf("differences %v", p.Differences)
		}
		if key == "default/gone" && (len(p.Differences) != 1 || !strings.Contains(p.Differences[0], "deleted-there, which LaunchDarkly no longer has")) {
			t.Errorf("a link to a vanished ID: %v", p.Differences)
		}
	}
}

func TestLocalName(t *testing.T) {
	taken := map[string]bool{"prod": true, "mobile-production": true}
	isTaken := func(n string) bool { return taken[n] }
	for _, tt := range []struct{ name, project, env, want string }{
		{"fresh", "p", "e", "fresh"},
		{"prod", "mobile", "production", "mobile-production-2"},
		{"has spaces", "default", "qa", "default-qa"},
	} {
		if got := LocalName(launchdarkly.Destination{ID: "i", Name: tt.name, Project: tt.project, Environment: tt.env}, isTaken); got != tt.want {
			t.Errorf("LocalName(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
