package preflight

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/ldexport/ldexport/pkg/store"
)

func TestEvaluateTrust(t *testing.T) {
	tests := []struct {
		name       string
		policy     string
		externalID string
		want       Status
		detail     string
	}{
		{"root, no external ID", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::554582317989:root"},"Action":"sts:AssumeRole"}]}`, "", Pass, "lets arn:aws:iam::554582317989:root"},
		{"account number, statement object", `{"Statement":{"Effect":"Allow","Principal":{"AWS":["554582317989"]},"Action":["sts:AssumeRole"]}}`, "", Pass, "lets 554582317989"},
		{"restricted role", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::554582317989:role/LaunchDarkly-data-export"},"Action":"sts:AssumeRole"}]}`, "", Pass, "LaunchDarkly-data-export"},
		{"wrong account", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`, "", Fail, "it trusts arn:aws:iam::111111111111:root"},
		{"service principal only", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, "", Fail, "it trusts no AWS principal"},
		{"wrong action", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::554582317989:root"},"Action":"sts:TagSession"}]}`, "", Fail, "does not let LaunchDarkly"},
		{"explicit deny", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"554582317989"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"554582317989"},"Action":"sts:*"}]}`, "", Fail, "Deny"},
		{"anyone", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`, "", Warn, "any AWS principal"},
		{"external ID matches", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::554582317989:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-1"}}}]}`, "ext-1", Pass, "with sts:ExternalId ext-1"},
		{"external ID key case-insensitive", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::554582317989:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:externalid":["x","ext-1"]}}}]}`, "ext-1", Pass, "ext-1"},
		{"external ID missing from trust", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::554582317989:root"},"Action":"sts:AssumeRole"}]}`, "ext-1", Fail, "no sts:ExternalId condition"},
		{"external ID differs", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::554582317989:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"other"}}}]}`, "ext-1", Fail, "requires sts:ExternalId other, the destination has ext-1"},
		{"trust wants an external ID the destination lacks", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::554582317989:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"other"}}}]}`, "", Warn, "destination has no external ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// GetRole returns the document URL-encoded; parse that form.
			p, err := parseTrustPolicy(url.QueryEscape(tt.policy))
			if err != nil {
				t.Fatal(err)
			}
			got, detail := evaluateTrust(p, tt.externalID)
			if got != tt.want || !strings.Contains(detail, tt.detail) {
				t.Errorf("evaluateTrust = %s %q, want %s containing %q", got, detail, tt.want, tt.detail)
			}
		})
	}
}

func TestParseTrustPolicyErrors(t *testing.T) {
	for _, doc := range []string{"%zz", "not json", `{"Statement":[{"Principal":"someone"}]}`, `{"Statement":[{"Action":5}]}`} {
		if _, err := parseTrustPolicy(doc); err == nil {
			t.Errorf("parseTrustPolicy(%q) = nil error", doc)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{1: "1", 999: "999", 1000: "1,000", 120_000_000: "120,000,000", 5_000_000_000: "5,000,000,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestRecommendShards(t *testing.T) {
	tests := []struct{ n, rec, base, tp int64 }{
		{1, 1, 1, 1},
		{50_000_000, 1, 1, 1},
		{50_000_001, 2, 2, 1},
		{120_000_000, 3, 3, 1},
		// 5e9/2,592,000 s = 1,929 events/s: ceil(1929/1000)=2, ceil(1929*1024/1048576)=2.
		{5_000_000_000, 100, 100, 2},
	}
	for _, tt := range tests {
		rec, base, tp := recommendShards(tt.n)
		if rec != tt.rec || base != tt.base || tp != tt.tp {
			t.Errorf("recommendShards(%d) = %d, %d, %d; want %d, %d, %d", tt.n, rec, base, tp, tt.rec, tt.base, tt.tp)
		}
	}
}

// fakeKinesis answers DescribeStreamSummary with a fixed summary.
type fakeKinesis struct {
	summary types.StreamDescriptionSummary
}

func (f fakeKinesis) DescribeStreamSummary(context.Context, *kinesis.DescribeStreamSummaryInput, ...func(*kinesis.Options)) (*kinesis.DescribeStreamSummaryOutput, error) {
	return &kinesis.DescribeStreamSummaryOutput{StreamDescriptionSummary: &f.summary}, nil
}

func TestStreamCapacityAndEncryption(t *testing.T) {
	const keyARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	provisioned := func(shards int32) types.StreamDescriptionSummary {
		return types.StreamDescriptionSummary{StreamName: aws.String("s"), StreamStatus: types.StreamStatusActive, OpenShardCount: aws.Int32(shards),
			StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeProvisioned}, EncryptionType: types.EncryptionTypeNone}
	}
	kms := func(key string) types.StreamDescriptionSummary {
		s := provisioned(1)
		s.EncryptionType, s.KeyId = types.EncryptionTypeKms, aws.String(key)
		return s
	}
	tests := []struct {
		name           string
		summary        types.StreamDescriptionSummary
		eventsPerMonth int64
		kmsKeyARN      string
		check          string
		want           Status
		detail         string
	}{
		{"enough shards", provisioned(3), 120_000_000, "", CheckCapacity, Pass, "need 3"},
		{"too few shards", provisioned(2), 120_000_000, "", CheckCapacity, Warn, "--target-shard-count 3"},
		{"no volume given", provisioned(2), 0, "", CheckCapacity, Pass, "pass --events-per-month"},
		{"on-demand", func() types.StreamDescriptionSummary {
			s := provisioned(4)
			s.StreamModeDetails.StreamMode = types.StreamModeOnDemand
			return s
		}(), 5_000_000_000, "", CheckCapacity, Pass, "on-demand"},
		{"creating", func() types.StreamDescriptionSummary {
			s := provisioned(1)
			s.StreamStatus = types.StreamStatusCreating
			return s
		}(), 0, "", CheckStream, Fail, "not ACTIVE"},
		{"not encrypted", provisioned(1), 0, "", CheckEncryption, Pass, "not encrypted"},
		{"AWS-managed key", kms("alias/aws/kinesis"), 0, "", CheckEncryption, Pass, "AWS-managed"},
		{"customer key, destination lacks it", kms(keyARN), 0, "", CheckEncryption, Fail, "--kms-key-arn"},
		{"customer key by ID, destination has it", kms("1234abcd-12ab-34cd-56ef-1234567890ab"), 0, keyARN, CheckEncryption, Pass, "the destination's KMS key"},
		{"customer key differs", kms("arn:aws:kms:us-east-1:123456789012:key/other"), 0, keyARN, CheckEncryption, Fail, "not the destination's KMS key"},
		{"customer key by alias", kms("alias/ld"), 0, keyARN, CheckEncryption, Warn, "make sure the alias"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := store.Destination{Name: "d", StreamName: "s", Region: "us-east-1", KMSKeyARN: tt.kmsKeyARN}
			rep := Run(context.Background(), Input{Destination: d, Endpoints: Endpoints{Kinesis: "http://127.0.0.1:1"}, NoSTS: "no STS", NoIAM: "no IAM", EventsPerMonth: tt.eventsPerMonth, Kinesis: fakeKinesis{tt.summary}})
			var got *Check
			for i := range rep.Checks {
				if rep.Checks[i].Name == tt.check {
					got = &rep.Checks[i]
				}
			}
			if got == nil || got.Status != tt.want || !strings.Contains(got.Detail, tt.detail) {
				t.Fatalf("check %s = %+v, want %s containing %q", tt.check, got, tt.want, tt.detail)
			}
			if rep.OK != (len(rep.Failed()) == 0) {
				t.Errorf("OK %v with failures %v", rep.OK, rep.Failed())
			}
		})
	}
}
