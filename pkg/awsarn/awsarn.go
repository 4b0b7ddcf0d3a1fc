// Package awsarn validates and builds the AWS identifiers a LaunchDarkly
// Kinesis destination is made of: regions and their partitions, account IDs,
// stream names, role, stream and KMS key ARNs, and STS external IDs.
package awsarn

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/ldexport/ldexport/pkg/quote"
)

var (
	regionRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$`) })
	accountRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{12}$`) })
	streamRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`) })
	roleRe    = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f):iam::([0-9]{12}):role/([\w+=,.@/-]+)$`)
	})
	kmsKeyRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f):kms:([a-z0-9-]+):([0-9]{12}):key/[0-9a-zA-Z-]{1,128}$`)
	})
	hostLabelRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$`) })
	kmsAliasRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^arn:[a-z-]+:kms:[a-z0-9-]*:[0-9]*:alias/`) })
	externalIDRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=,.@:/-]+$`) }) // length checked apart: RE2 repeats stop at 1000
)

// Partition returns the ARN partition a region belongs to: aws-cn for cn-*,
// aws-us-gov for us-gov-*, and aws otherwise.
func Partition(region string) string {
	for _, p := range partitions {
		if strings.HasPrefix(region, p.regionPrefix) {
			return p.partition
		}
	}
	return "aws"
}

// partitions are the ARN partitions other than aws, by region prefix.
var partitions = []struct{ regionPrefix, partition string }{
	{"cn-", "aws-cn"},
	{"us-gov-", "aws-us-gov"},
	{"us-iso-", "aws-iso"},
	{"us-isob-", "aws-iso-b"},
	{"eu-isoe-", "aws-iso-e"},
	{"us-isof-", "aws-iso-f"},
}

// ValidateRegion checks that region looks like an AWS region (us-east-1,
// cn-north-1, us-gov-west-1, ap-southeast-4, eu-isoe-west-1). It is the one
// region check: every flag, environment variable, profile and stored
// destination that gives a region goes through it.
func ValidateRegion(region string) error {
	if !regionRe().MatchString(region) {
		return fmt.Errorf("invalid region %s: want a region such as us-east-1", quote.Input(region))
	}
	return nil
}

// ValidateAccountID checks for a 12-digit AWS account ID.
func ValidateAccountID(id string) error {
	if !accountRe().MatchString(id) {
		return fmt.Errorf("invalid account ID %s: want 12 digits", quote.Input(id))
	}
	return nil
}

// ValidateStreamName checks a Kinesis stream name: 1 to 128 of [a-zA-Z0-9_.-].
func ValidateStreamName(name string) error {
	if !streamRe().MatchString(name) {
		return fmt.Errorf("invalid stream name %s: want 1 to 128 characters of [a-zA-Z0-9_.-]", quote.Input(name))
	}
	return nil
}

// RoleARN is a parsed IAM role ARN.
type RoleARN struct {
	Partition string
	AccountID string
	// Name is the role's path and name, e.g. "service/ld-export".
	Name string
}

// ParseRoleARN parses arn:<partition>:iam::<12 digits>:role/<path/name>.
func ParseRoleARN(s string) (RoleARN, error) {
	m := roleRe().FindStringSubmatch(s)
	if m == nil {
		return RoleARN{}, fmt.Errorf("invalid role ARN %s: want arn:aws:iam::<12-digit account>:role/<name>", quote.Input(s))
	}
	return RoleARN{Partition: m[1], AccountID: m[2], Name: m[3]}, nil
}

// RoleName returns the last path element of the role name, as IAM's GetRole wants it.
func (r RoleARN) RoleName() string {
	if i := strings.LastIndex(r.Name, "/"); i >= 0 {
		return r.Name[i+1:]
	}
	return r.Name
}

// validateKMSKeyARN checks a KMS key ARN, arn:<partition>:kms:<region>:<account>:key/<id>.
// An alias ARN is refused: IAM matches kms:GenerateDataKey against the key
// ARN, never an alias, so a policy naming an alias grants nothing.
func validateKMSKeyARN(s string) error {
	if kmsAliasRe().MatchString(s) {
		return fmt.Errorf("KMS key ARN %s is an alias: IAM policies need the key ARN itself (arn:aws:kms:<region>:<account>:key/<key-id>; `aws kms describe-key --key-id alias/NAME` shows it)", quote.Input(s))
	}
	if !kmsKeyRe().MatchString(s) {
		return fmt.Errorf("invalid KMS key ARN %s: want arn:aws:kms:<region>:<account>:key/<key-id>", quote.Input(s))
	}
	return nil
}

// ValidateKMSKeyFor checks a KMS key ARN for a stream in region: a key of
// another partition or region can never encrypt the stream.
func ValidateKMSKeyFor(arn, region string) error {
	if err := validateKMSKeyARN(arn); err != nil {
		return err
	}
	m := kmsKeyRe().FindStringSubmatch(arn)
	if p := Partition(region); m[1] != p {
		return fmt.Errorf("KMS key %s is in partition %s, but the stream's region %s is in %s", quote.Input(arn), m[1], region, p)
	}
	if m[2] != region {
		return fmt.Errorf("KMS key %s is in region %s, not the stream's region %s (a stream is encrypted with a key of its own region)", quote.Input(arn), m[2], region)
	}
	return nil
}

// ValidateExternalID checks an STS external ID: 2 to 1,224 characters of [\w+=,.@:/-].
func ValidateExternalID(s string) error {
	if len(s) < 2 || len(s) > 1224 || !externalIDRe().MatchString(s) {
		return fmt.Errorf("invalid external ID %s: want 2 to 1224 characters of letters, digits and +=,.@:/-_", quote.Input(s))
	}
	return nil
}

// StreamARN builds a Kinesis stream ARN, with the partition that follows the region.
func StreamARN(region, accountID, stream string) string {
	return fmt.Sprintf("arn:%s:kinesis:%s:%s:stream/%s", Partition(region), region, accountID, stream)
}

// ValidateEndpointURL checks a Kinesis endpoint URL: http(s)://host[:port][/path],
// with no user name or password, query or fragment. The error never repeats
// a user name or password that was given.
func ValidateEndpointURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		// url.Parse's error repeats the whole input, password included.
		return errors.New("invalid endpoint URL: not a URL; want http(s)://host[:port][/path]")
	}
	if u.User != nil {
		u.User = nil
		return fmt.Errorf("invalid endpoint URL %s: it carries a user name or password; remove them (credentials come from the AWS configuration, never the URL)", quote.Input(u.String()))
	}
	bad := func(why string) error {
		return fmt.Errorf("invalid endpoint URL %s: %s; want http(s)://host[:port][/path]", quote.Input(s), why)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("the scheme must be http or https")
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return bad("no host")
	case u.RawQuery != "" || u.ForceQuery:
		return bad("a query is not allowed")
	case u.Fragment != "" || strings.Contains(s, "#"):
		return bad("a fragment is not allowed")
	}
	if !validHost(u.Hostname()) {
		return bad("the host is neither an IP address nor a DNS name (at most 253 characters, labels of at most 63)")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return bad("the port must be 1 to 65535")
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return bad("empty port")
	}
	return nil
}

// validHost accepts an IP address or a DNS name (labels of letters, digits,
// '-' and '_', which container names use).
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if !hostLabelRe().MatchString(label) {
			return false
		}
	}
	return true
}
