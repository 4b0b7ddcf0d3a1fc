// Package awsarn validates and builds the AWS identifiers a LaunchDarkly
// Kinesis destination is made of: regions and their partitions, account IDs,
// stream names, role, stream and KMS key ARNs, and STS external IDs.
package awsarn

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	regionRe     = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$`)
	accountRe    = regexp.MustCompile(`^[0-9]{12}$`)
	streamRe     = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`)
	roleRe       = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):iam::([0-9]{12}):role/([\w+=,.@/-]+)$`)
	kmsKeyRe     = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):kms:([a-z0-9-]+):([0-9]{12}):(key/[0-9a-zA-Z-]{1,128}|alias/[\w/+=,.@-]{1,250})$`)
	externalIDRe = regexp.MustCompile(`^[\w+=,.@:/-]+$`) // length checked apart: RE2 repeats stop at 1000
)

// Partition returns the ARN partition a region belongs to: aws-cn for cn-*,
// aws-us-gov for us-gov-*, and aws otherwise.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	default:
		return "aws"
	}
}

// ValidateRegion checks that region looks like an AWS region (us-east-1,
// cn-north-1, us-gov-west-1, ap-southeast-4).
func ValidateRegion(region string) error {
	if !regionRe.MatchString(region) {
		return fmt.Errorf("invalid region %q: want a region such as us-east-1", region)
	}
	return nil
}

// ValidateAccountID checks for a 12-digit AWS account ID.
func ValidateAccountID(id string) error {
	if !accountRe.MatchString(id) {
		return fmt.Errorf("invalid account ID %q: want 12 digits", id)
	}
	return nil
}

// ValidateStreamName checks a Kinesis stream name: 1 to 128 of [a-zA-Z0-9_.-].
func ValidateStreamName(name string) error {
	if !streamRe.MatchString(name) {
		return fmt.Errorf("invalid stream name %q: want 1 to 128 characters of [a-zA-Z0-9_.-]", name)
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
	m := roleRe.FindStringSubmatch(s)
	if m == nil {
		return RoleARN{}, fmt.Errorf("invalid role ARN %q: want arn:aws:iam::<12-digit account>:role/<name>", s)
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

// ValidateKMSKeyARN checks a KMS key (or alias) ARN.
func ValidateKMSKeyARN(s string) error {
	if !kmsKeyRe.MatchString(s) {
		return fmt.Errorf("invalid KMS key ARN %q: want arn:aws:kms:<region>:<account>:key/<key-id>", s)
	}
	return nil
}

// ValidateExternalID checks an STS external ID: 2 to 1,224 characters of [\w+=,.@:/-].
func ValidateExternalID(s string) error {
	if len(s) < 2 || len(s) > 1224 || !externalIDRe.MatchString(s) {
		return fmt.Errorf("invalid external ID %q: want 2 to 1224 characters of letters, digits and +=,.@:/-_", s)
	}
	return nil
}

// StreamARN builds a Kinesis stream ARN, with the partition that follows the region.
func StreamARN(region, accountID, stream string) string {
	return fmt.Sprintf("arn:%s:kinesis:%s:%s:stream/%s", Partition(region), region, accountID, stream)
}
