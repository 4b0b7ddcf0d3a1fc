package cmdutil

import (
	"net"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ldexport/ldexport/pkg/awsarn"
)

// ServiceEndpoint says where one AWS service's calls go: URL is the base
// endpoint the SDK client was built with (from --endpoint-url for Kinesis, or
// the SDK's own AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE> and the shared
// config's services section), or "" for AWS's own endpoint.
type ServiceEndpoint struct {
	Service string // "Kinesis", "IAM", "STS"
	URL     string
}

// String is "IAM: http://127.0.0.1:5055", or "IAM: AWS" for AWS's own endpoint.
func (e ServiceEndpoint) String() string {
	if e.URL == "" {
		return e.Service + ": AWS"
	}
	return e.Service + ": " + e.URL
}

// RealAWS reports whether the calls go to AWS itself.
func (e ServiceEndpoint) RealAWS() bool { return e.URL == "" }

// checkSetting checks an endpoint the SDK's settings gave a client (read
// with getenv): a malformed one is invalid input (exit 2) that names the
// setting, not a call that fails (exit 1) against a URL no one meant.
func (e ServiceEndpoint) checkSetting(getenv func(string) string) error {
	if e.URL == "" {
		return nil
	}
	if err := awsarn.ValidateEndpointURL(e.URL); err != nil {
		return UsageErrorf("%s: %v", endpointSetting(e.Service, getenv), err)
	}
	return nil
}

// endpointSetting names where the SDK took service's endpoint from, in the
// SDK's order: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile.
func endpointSetting(service string, getenv func(string) string) string {
	for _, k := range []string{"AWS_ENDPOINT_URL_" + strings.ToUpper(service), "AWS_ENDPOINT_URL"} {
		if getenv(k) != "" {
			return k
		}
	}
	return "the AWS profile's endpoint_url"
}

// IsLoopback reports whether endpoint is a URL on this machine (localhost or
// a loopback address): a local emulator.
func IsLoopback(endpoint string) bool {
	if endpoint == "" {
		return false
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// BoundForRealAWS returns the services among others whose calls would go to
// real AWS while Kinesis is a local emulator: a destination made for an
// emulator whose IAM or STS calls would change or use a real account.
// Empty when Kinesis is not on loopback or every other service has an endpoint.
func BoundForRealAWS(kinesis ServiceEndpoint, others ...ServiceEndpoint) []string {
	if !IsLoopback(kinesis.URL) {
		return nil
	}
	var real []string
	for _, o := range others {
		if o.RealAWS() {
			real = append(real, o.Service)
		}
	}
	return real
}

// RefuseRealAWS is the guard of commands that call IAM or STS for a
// destination: when Kinesis is a local emulator and some of others would go
// to real AWS, it is invalid input (exit 2) unless allow (--allow-real-aws).
func RefuseRealAWS(what string, allow bool, kinesis ServiceEndpoint, others ...ServiceEndpoint) error {
	real := BoundForRealAWS(kinesis, others...)
	if allow || len(real) == 0 {
		return nil
	}
	var vars []string
	for _, s := range real {
		vars = append(vars, "AWS_ENDPOINT_URL_"+strings.ToUpper(s))
	}
	return UsageErrorf("%s: Kinesis is the local endpoint %s, but %s calls would go to real AWS; point them at the emulator (%s) or pass --allow-real-aws", what, kinesis.URL, strings.Join(real, " and "), strings.Join(vars, ", "))
}

// KinesisEndpoint is where c sends Kinesis calls.
func KinesisEndpoint(c *kinesis.Client) ServiceEndpoint {
	return ServiceEndpoint{Service: "Kinesis", URL: aws.ToString(c.Options().BaseEndpoint)}
}

// IAMEndpoint is where c sends IAM calls.
func IAMEndpoint(c *iam.Client) ServiceEndpoint {
	return ServiceEndpoint{Service: "IAM", URL: aws.ToString(c.Options().BaseEndpoint)}
}

// STSEndpoint is where c sends STS calls.
func STSEndpoint(c *sts.Client) ServiceEndpoint {
	return ServiceEndpoint{Service: "STS", URL: aws.ToString(c.Options().BaseEndpoint)}
}
