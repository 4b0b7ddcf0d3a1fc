// Package testenv makes a test binary hermetic: importing it (for its side
// effect, from a _test.go file) clears the developer's AWS and ldexport
// environment before any test runs, so tests pass whatever AWS_PROFILE,
// AWS_DEFAULT_REGION or ~/.aws/config the machine has.
//
//	import _ "github.com/ldexport/ldexport/pkg/testenv"
//
// Every package with tests imports it (TestEveryTestPackageIsHermetic checks);
// child processes a test starts (the built binary, kinesalite, the test binary
// itself) inherit the cleaned environment. Production code must never import it.
package testenv

import (
	"os"
	"strings"
)

// Cleared lists the prefixes of the variables Hermetic removes: the AWS SDK's
// (credentials, profile, region, endpoints, config files), ldexport's, and
// LaunchDarkly's access token and API host.
var Cleared = []string{"AWS_", "LDEXPORT_", "LAUNCHDARKLY_", "LD_ACCESS_TOKEN"}

// Kept is the prefix of variables Hermetic leaves alone although they match
// Cleared: tests pass their own settings to child processes with it.
const Kept = "LDEXPORT_TEST_"

// Set are the variables Hermetic sets: no shared config or credentials file
// (an empty file each), and never a call to the EC2 instance metadata service.
var Set = map[string]string{
	"AWS_CONFIG_FILE":             os.DevNull,
	"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	"AWS_EC2_METADATA_DISABLED":   "true",
}

func init() { Hermetic() }

// Hermetic clears every variable named by Cleared (but Kept) and sets Set.
// It runs when the package is imported; tests that change the environment
// afterwards (t.Setenv) still may.
func Hermetic() {
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, Kept) {
			continue
		}
		for _, p := range Cleared {
			if strings.HasPrefix(name, p) {
				_ = os.Unsetenv(name)
				break
			}
		}
	}
	for k, v := range Set {
		_ = os.Setenv(k, v)
	}
}
