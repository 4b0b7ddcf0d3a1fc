// Package ldkey validates LaunchDarkly project and environment keys, the two
// keys a Data Export destination is filed under in LaunchDarkly's API
// (POST /api/v2/destinations/{projectKey}/{environmentKey}).
package ldkey

import (
	"fmt"
	"regexp"
	"sync"

	"github.com/ldexport/ldexport/pkg/quote"
)

// maxLen is the longest key accepted.
//
// Sources: LaunchDarkly's Terraform provider (launchdarkly/terraform-provider-launchdarkly,
// launchdarkly/validation_helper.go) checks every project and environment key
// with ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ ("Must contain only letters, numbers, '.',
// '-', or '_' and must start with an alphanumeric"), and a project key's length
// with validateKeyAndLength(1, 100) (resource_launchdarkly_project.go). The
// OpenAPI document (launchdarkly-destinations-openapi.yaml) gives no pattern.
// LaunchDarkly publishes no length for environment keys; the project key's
// limit is used for both.
const maxLen = 100

var keyRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`) })

var example = map[string]string{"project": "default", "environment": "production"}

// ValidateProjectKey checks a LaunchDarkly project key.
func ValidateProjectKey(key string) error { return validate("project", key) }

// ValidateEnvironmentKey checks a LaunchDarkly environment key.
func ValidateEnvironmentKey(key string) error { return validate("environment", key) }

func validate(what, key string) error {
	switch {
	case key == "":
		return fmt.Errorf("empty %s key: want a LaunchDarkly %s key such as %s", what, what, example[what])
	case len(key) > maxLen:
		return fmt.Errorf("invalid %s key %s: longer than %d characters (LaunchDarkly's limit)", what, quote.Input(key), maxLen)
	case !keyRe().MatchString(key):
		return fmt.Errorf("invalid %s key %s: want letters, digits, '.', '_' and '-', starting with a letter or digit (LaunchDarkly's key rule)", what, quote.Input(key))
	}
	return nil
}
