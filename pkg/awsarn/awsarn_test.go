package awsarn

import (
	"strings"
	"testing"
)

func TestPartitionAndStreamARN(t *testing.T) {
	tests := []struct{ region, partition, arn string }{
		{"us-east-1", "aws", "arn:aws:kinesis:us-east-1:123456789012:stream/s"},
		{"eu-central-2", "aws", "arn:aws:kinesis:eu-central-2:123456789012:stream/s"},
		{"cn-north-1", "aws-cn", "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/s"},
		{"us-gov-west-1", "aws-us-gov", "arn:aws-us-gov:kinesis:us-gov-west-1:123456789012:stream/s"},
	}
	for _, tt := range tests {
		if got := Partition(tt.region); got != tt.partition {
			t.Errorf("Partition(%s) = %s, want %s", tt.region, got, tt.partition)
		}
		if got := StreamARN(tt.region, "123456789012", "s"); got != tt.arn {
			t.Errorf("StreamARN(%s) = %s, want %s", tt.region, got, tt.arn)
		}
	}
}

func TestValidators(t *testing.T) {
	tests := []struct {
		name  string
		check func(string) error
		good  []string
		bad   []string
	}{
		{"region", ValidateRegion,
			[]string{"us-east-1", "ap-southeast-4", "cn-northwest-1", "us-gov-east-1", "eu-central-2", "il-central-1"},
			[]string{"", "us-east", "US-EAST-1", "useast1", "us-east-1a", "us east 1", "us-east-100"}},
		{"account", ValidateAccountID,
			[]string{"123456789012", "000000000000"},
			[]string{"", "12345678901", "1234567890123", "12345678901a", " 123456789012"}},
		{"stream", ValidateStreamName,
			[]string{"ld-events", "a", "A_b.c-1", strings.Repeat("s", 128)},
			[]string{"", "has space", "a/b", "a:b", strings.Repeat("s", 129)}},
		{"kms", ValidateKMSKeyARN,
			[]string{"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws-cn:kms:cn-north-1:123456789012:alias/ld", "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"},
			[]string{"", "1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:kms:us-east-1:12345:key/x", "arn:aws:kinesis:us-east-1:123456789012:stream/s", "arn:aws:kms:us-east-1:123456789012:key/"}},
		{"external ID", ValidateExternalID,
			[]string{"ab", "ld-export:prod", "a+b=c,d.e@f:g/h-i_j", strings.Repeat("x", 1224)},
			[]string{"", "a", "has space", "semi;colon", strings.Repeat("x", 1225)}},
	}
	for _, tt := range tests {
		for _, s := range tt.good {
			if err := tt.check(s); err != nil {
				t.Errorf("%s %q rejected: %v", tt.name, s, err)
			}
		}
		for _, s := range tt.bad {
			if err := tt.check(s); err == nil {
				t.Errorf("%s %q accepted", tt.name, s)
			}
		}
	}
}

func TestParseRoleARN(t *testing.T) {
	r, err := ParseRoleARN("arn:aws:iam::123456789012:role/service/ld-export")
	if err != nil {
		t.Fatal(err)
	}
	if r.Partition != "aws" || r.AccountID != "123456789012" || r.Name != "service/ld-export" || r.RoleName() != "ld-export" {
		t.Errorf("parsed %+v", r)
	}
	if r, err := ParseRoleARN("arn:aws-us-gov:iam::123456789012:role/x"); err != nil || r.Partition != "aws-us-gov" {
		t.Errorf("gov role: %+v %v", r, err)
	}
	for _, bad := range []string{"", "ld-export", "arn:aws:iam::12345678901:role/x", "arn:aws:iam::123456789012:user/x",
		"arn:aws:iam::123456789012:role/", "arn:aws:iam:us-east-1:123456789012:role/x", "arn:aws:sts::123456789012:role/x", "arn:azure:iam::123456789012:role/x"} {
		if _, err := ParseRoleARN(bad); err == nil {
			t.Errorf("ParseRoleARN(%q) accepted", bad)
		}
	}
}

func FuzzValidators(f *testing.F) {
	for _, s := range []string{"us-east-1", "arn:aws:iam::123456789012:role/x", "arn:aws:kms:us-east-1:123456789012:key/k", "ab", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// None may panic; an accepted role ARN must round-trip its parts.
		_ = ValidateRegion(s)
		_ = ValidateAccountID(s)
		_ = ValidateStreamName(s)
		_ = ValidateKMSKeyARN(s)
		_ = ValidateExternalID(s)
		if r, err := ParseRoleARN(s); err == nil {
			if want := "arn:" + r.Partition + ":iam::" + r.AccountID + ":role/" + r.Name; want != s {
				t.Errorf("round trip %q -> %q", s, want)
			}
			if ValidateAccountID(r.AccountID) != nil {
				t.Errorf("accepted role ARN %q with bad account %q", s, r.AccountID)
			}
		}
	})
}
