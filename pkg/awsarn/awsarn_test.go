package awsarn

import (
	"net/url"
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
		{"kms", validateKMSKeyARN,
			[]string{"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"},
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
	for _, s := range []string{"us-east-1", "arn:aws:iam::123456789012:role/x", "arn:aws:kms:us-east-1:123456789012:key/k", "ab", "", "http://user:secret@127.0.0.1:4567"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// None may panic; an accepted role ARN must round-trip its parts.
		_ = ValidateRegion(s)
		_ = ValidateAccountID(s)
		_ = ValidateStreamName(s)
		_ = validateKMSKeyARN(s)
		_ = ValidateExternalID(s)
		_ = ValidateKMSKeyFor(s, "us-east-1")
		// An endpoint error never repeats the password it was given.
		if u, err := url.Parse(s); err == nil && u.User != nil {
			rest := *u
			rest.User = nil // a password that is also part of the host or path may be quoted with them
			if pw, ok := u.User.Password(); ok && len(pw) > 3 && !strings.Contains(rest.String(), pw) {
				if err := ValidateEndpointURL(s); err == nil || strings.Contains(err.Error(), pw) {
					t.Errorf("endpoint %q: error %v", s, err)
				}
			}
		}
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

func TestHostileRegions(t *testing.T) {
	good := []string{"us-east-1", "us-gov-west-1", "cn-north-1", "eu-isoe-west-1", "us-isob-east-1", "us-isof-south-1", "ap-southeast-4", "mx-central-1"}
	bad := []string{"mars-1", "", "us-east-1\n", "\x1b[31mus-east-1", "US-EAST-1", "us_east_1", "us-east-1 ", "us-east-001", strings.Repeat("a", 100000)}
	for _, r := range good {
		if err := ValidateRegion(r); err != nil {
			t.Errorf("%q rejected: %v", r, err)
		}
	}
	for _, r := range bad {
		err := ValidateRegion(r)
		if err == nil {
			t.Errorf("%.30q accepted", r)
		} else if msg := err.Error(); strings.ContainsAny(msg, "\n\x1b") || len(msg) > 300 {
			t.Errorf("%.30q: error is not one short line: %.300q", r, msg)
		}
	}
	for region, partition := range map[string]string{"eu-isoe-west-1": "aws-iso-e", "us-isof-south-1": "aws-iso-f", "us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b"} {
		if got := Partition(region); got != partition {
			t.Errorf("Partition(%s) = %s, want %s", region, got, partition)
		}
	}
}

func TestHostileKMSKeys(t *testing.T) {
	const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	tests := []struct {
		arn, region, want string
	}{
		{key, "us-east-1", ""},
		{"arn:aws-cn:kms:cn-north-1:123456789012:key/k", "cn-north-1", ""},
		{"arn:aws:kms:us-east-1:123456789012:alias/ld-export", "us-east-1", "is an alias"},
		{"arn:aws:kms:us-east-1:123456789012:alias/aws/kinesis", "us-east-1", "is an alias"},
		{"arn:aws:kms:eu-west-1:123456789012:key/abc", "us-east-1", "region eu-west-1, not the stream's region us-east-1"},
		{key, "cn-north-1", "partition aws, but the stream's region cn-north-1 is in aws-cn"},
		{"arn:aws:kms:us-east-1:123456789012:key/", "us-east-1", "invalid KMS key ARN"},
		{"1234abcd-12ab-34cd-56ef-1234567890ab", "us-east-1", "invalid KMS key ARN"},
		{key + "\n", "us-east-1", "invalid KMS key ARN"},
	}
	for _, tt := range tests {
		err := ValidateKMSKeyFor(tt.arn, tt.region)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s in %s rejected: %v", tt.arn, tt.region, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q in %s: error %v, want %q", tt.arn, tt.region, err, tt.want)
		}
	}
}

func TestHostileEndpointURLs(t *testing.T) {
	good := []string{"http://127.0.0.1:4567", "https://kinesis.us-east-1.amazonaws.com", "http://localhost:4567/", "http://[::1]:4567/kinesis", "https://vpce-1.kinesis.us-east-1.vpce.amazonaws.com/path", "http://kinesis_local:4567", "http://localhost.:4567"}
	tests := []struct{ url, want string }{
		{"http://user:secret@127.0.0.1:4567", "user name or password"},
		{"http://secret@127.0.0.1:4567", "user name or password"},
		{"http://user:secret%zz@127.0.0.1:4567", "not a URL"},
		{"ftp://127.0.0.1:1", "scheme must be http or https"},
		{"127.0.0.1:4567", "not a URL"},
		{"localhost:4567", "scheme must be http or https"},
		{"http://", "no host"},
		{"http:///path", "no host"},
		{"http:opaque", "no host"},
		{"http://127.0.0.1:4567/?x=1", "query"},
		{"http://127.0.0.1:4567/?", "query"},
		{"http://127.0.0.1:4567/#frag", "fragment"},
		{"http://127.0.0.1:0", "port must be 1 to 65535"},
		{"http://127.0.0.1:99999", "port must be 1 to 65535"},
		{"http://127.0.0.1:", "empty port"},
		{"http://127.0.0.1:4567\n", "not a URL"},
		{"http://" + strings.Repeat("a", 100000), "neither an IP address nor a DNS name"},
		{"http://" + strings.Repeat("a", 64) + ".com", "neither an IP address nor a DNS name"},
		{"http://a..b:1", "neither an IP address nor a DNS name"},
		{"http://-a:1", "neither an IP address nor a DNS name"},
		{"", "scheme must be http or https"},
	}
	for _, u := range good {
		if err := ValidateEndpointURL(u); err != nil {
			t.Errorf("%s rejected: %v", u, err)
		}
	}
	for _, tt := range tests {
		err := ValidateEndpointURL(tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.url, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: error repeats the password: %v", tt.url, err)
		}
	}
}
