package eventgen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

var idRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{24}$`) })

// isID reports whether s looks like a LaunchDarkly resource ID: 24 lowercase
// hex digits, such as 5744c96707c9900708000004.
func isID(s string) bool { return idRe().MatchString(s) }

// projectIDFor returns project when it already is an ID; otherwise an ID derived
// from the project key (the same key always gives the same ID) and derived
// true. LaunchDarkly's export wrapper carries project and environment IDs,
// not keys.
func projectIDFor(project string) (id string, derived bool) {
	return deriveID(project, "project")
}

// environmentIDFor is projectIDFor for an environment; its ID depends on the
// project's key (or ID) too, as environment keys repeat across projects.
func environmentIDFor(project, env string) (id string, derived bool) {
	return deriveID(env, "environment", project)
}

func deriveID(s string, scope ...string) (string, bool) {
	if isID(s) {
		return s, false
	}
	sum := sha256.Sum256([]byte("ldexport:" + strings.Join(append(scope, s), ":")))
	return hex.EncodeToString(sum[:12]), true
}

// ExportIDs returns the project and environment IDs an exported event
// carries for the given keys or IDs, and, when any was derived from a key, a
// note saying so for the user (empty otherwise).
func ExportIDs(project, env string) (projectID, envID, note string) {
	projectID, pDerived := projectIDFor(project)
	envID, eDerived := environmentIDFor(project, env)
	if pDerived || eDerived {
		note = fmt.Sprintf("Note: LaunchDarkly's export carries project and environment IDs, not keys; writing project %s and environment %s, derived from the keys %q and %q (give the 24-hex IDs to use the real ones).", projectID, envID, project, env)
	}
	return projectID, envID, note
}
