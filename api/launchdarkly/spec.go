// Package launchdarkly holds the LaunchDarkly REST API spec ldexport is built
// against (the Data Export destinations part of LaunchDarkly's published
// OpenAPI document): pkg/ldapi is generated from it, and the fake LaunchDarkly
// in pkg/ldfake validates every request and response against it.
package launchdarkly

import _ "embed"

// OpenAPI is openapi.yaml, byte for byte.
//
//go:embed openapi.yaml
var OpenAPI []byte
