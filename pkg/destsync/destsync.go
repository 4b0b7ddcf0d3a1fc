// Package destsync pairs the local store's destinations with LaunchDarkly's
// Kinesis destinations and says how each pair stands: linked and in sync,
// linked but different, the same but not yet linked, or present on one side
// only. `dest list --remote` prints the pairs; `dest pull` acts on them.
package destsync

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/ldexport/ldexport/pkg/store"
)

// State is how a local destination and LaunchDarkly's stand.
type State string

// The states of a pair.
const (
	Linked     State = "linked"               // linked by ID, same region, role and stream
	Differs    State = "differs"              // linked, or same environment, but region, role or stream differ
	Unlinked   State = "same, not linked"     // same environment and config, not linked yet
	LocalOnly  State = "only local"           // not in LaunchDarkly
	RemoteOnly State = "only in LaunchDarkly" // not in the store
)

// Pair is one destination seen from both sides (either may be nil).
type Pair struct {
	Local  *store.Destination
	Remote *launchdarkly.Destination
	State  State
	// Differences names the fields that differ, "field: local → remote".
	Differences []string
}

// Project and Environment are the pair's, from whichever side has them.
func (p Pair) Project() string {
	if p.Local != nil {
		return p.Local.Project
	}
	return p.Remote.Project
}

// Environment is the pair's LaunchDarkly environment key.
func (p Pair) Environment() string {
	if p.Local != nil {
		return p.Local.Environment
	}
	return p.Remote.Environment
}

// Match pairs local destinations with LaunchDarkly's Kinesis ones: first by
// the recorded LaunchDarkly ID, then an unlinked local one by project and
// environment (LaunchDarkly allows one destination per environment). Other
// kinds and destinations whose environment LaunchDarkly did not say are left
// out. Pairs are sorted by project, environment and name.
func Match(local []store.Destination, remote []launchdarkly.Destination) []Pair {
	byID := map[string]*launchdarkly.Destination{}
	var kinesis []*launchdarkly.Destination
	for i := range remote {
		r := &remote[i]
		if r.Kind != launchdarkly.KindKinesis || r.Project == "" || r.Environment == "" {
			continue
		}
		byID[r.ID] = r
		kinesis = append(kinesis, r)
	}
	used := map[string]bool{}
	var pairs []Pair
	var unlinked []*store.Destination
	for i := range local {
		l := &local[i]
		if r := byID[l.LaunchDarklyID]; l.LaunchDarklyID != "" && r != nil {
			used[r.ID] = true
			pairs = append(pairs, compare(l, r, Linked))
			continue
		}
		unlinked = append(unlinked, l)
	}
	for _, l := range unlinked {
		var match *launchdarkly.Destination
		for _, r := range kinesis {
			if !used[r.ID] && r.Project == l.Project && r.Environment == l.Environment {
				match = r
				break
			}
		}
		if match == nil {
			p := Pair{Local: l, State: LocalOnly}
			if l.LaunchDarklyID != "" {
				p.Differences = []string{"linked to LaunchDarkly ID " + l.LaunchDarklyID + ", which LaunchDarkly no longer has (dest push creates it again)"}
			}
			pairs = append(pairs, p)
			continue
		}
		used[match.ID] = true
		pairs = append(pairs, compare(l, match, Unlinked))
	}
	for _, r := range kinesis {
		if !used[r.ID] {
			pairs = append(pairs, Pair{Remote: r, State: RemoteOnly})
		}
	}
	sort.SliceStable(pairs, func(i, j int) bool {
		a, b := pairs[i], pairs[j]
		if a.Project() != b.Project() {
			return a.Project() < b.Project()
		}
		return a.Environment() < b.Environment()
	})
	return pairs
}

func compare(l *store.Destination, r *launchdarkly.Destination, same State) Pair {
	p := Pair{Local: l, Remote: r, State: same}
	for _, f := range [][3]string{
		{"project/environment", l.Project + "/" + l.Environment, r.Project + "/" + r.Environment},
		{"region", l.Region, r.Config.Region},
		{"roleArn", l.RoleARN, r.Config.RoleArn},
		{"streamName", l.StreamName, r.Config.StreamName},
	} {
		if f[1] != f[2] {
			p.Differences = append(p.Differences, f[0]+": "+f[1]+" → "+f[2])
		}
	}
	if len(p.Differences) > 0 {
		p.State = Differs
	}
	return p
}

var notNameChar = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// LocalName picks a store name for a destination imported from LaunchDarkly:
// its LaunchDarkly name when that is a valid, free store name, else
// <project>-<environment>, with -2, -3, ... until free.
func LocalName(r launchdarkly.Destination, taken func(string) bool) string {
	if store.ValidateName(r.Name) == nil && !taken(r.Name) {
		return r.Name
	}
	base := strings.Trim(notNameChar.ReplaceAllString(r.Project+"-"+r.Environment, "-"), "-._")
	if len(base) > 58 {
		base = base[:58]
	}
	if store.ValidateName(base) != nil {
		base = "ld-" + r.ID
	}
	name := base
	for i := 2; taken(name); i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	return name
}
