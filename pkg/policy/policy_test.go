package policy

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestPermissionsPolicy(t *testing.T) {
	tests := []struct {
		name         string
		region, kms  string
		wantResource string
		wantStmts    int
	}{
		{"commercial", "us-east-1", "", "arn:aws:kinesis:us-east-1:123456789012:stream/ld-events", 1},
		{"china", "cn-north-1", "", "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/ld-events", 1},
		{"govcloud", "us-gov-west-1", "", "arn:aws-us-gov:kinesis:us-gov-west-1:123456789012:stream/ld-events", 1},
		{"kms key adds a statement", "us-east-1", "arn:aws:kms:us-east-1:123456789012:key/k1", "arn:aws:kinesis:us-east-1:123456789012:stream/ld-events", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := PermissionsPolicy(tt.region, "123456789012", "ld-events", tt.kms)
			if doc.Version != "2012-10-17" {
				t.Errorf("Version = %q", doc.Version)
			}
			if len(doc.Statement) != tt.wantStmts {
				t.Fatalf("%d statements, want %d", len(doc.Statement), tt.wantStmts)
			}
			s := doc.Statement[0]
			if s.Effect != "Allow" || len(s.Action) != 2 || s.Action[0] != "kinesis:PutRecord" || s.Action[1] != "kinesis:PutRecords" {
				t.Errorf("first statement = %+v", s)
			}
			if len(s.Resource) != 1 || s.Resource[0] != tt.wantResource {
				t.Errorf("Resource = %v, want [%s]", s.Resource, tt.wantResource)
			}
			if tt.kms != "" {
				k := doc.Statement[1]
				if len(k.Action) != 1 || k.Action[0] != "kms:GenerateDataKey" || len(k.Resource) != 1 || k.Resource[0] != tt.kms {
					t.Errorf("KMS statement = %+v", k)
				}
			}
		})
	}
}

func TestTrustPolicy(t *testing.T) {
	tests := []struct {
		name          string
		restricted    bool
		externalID    string
		wantPrincipal string
	}{
		{"whole account", false, "", "arn:aws:iam::554582317989:root"},
		{"restricted to the export role", true, "", "arn:aws:iam::554582317989:role/LaunchDarkly-data-export"},
		{"external id condition", false, "ld-ext-1", "arn:aws:iam::554582317989:root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := TrustPolicy(tt.restricted, tt.externalID)
			s := doc.Statement[0]
			if s.Principal.AWS != tt.wantPrincipal || s.Action != "sts:AssumeRole" || s.Effect != "Allow" {
				t.Errorf("statement = %+v", s)
			}
			got := s.Condition["StringEquals"]["sts:ExternalId"]
			if got != tt.externalID {
				t.Errorf("sts:ExternalId condition = %q, want %q", got, tt.externalID)
			}
			if tt.externalID == "" && s.Condition != nil {
				t.Errorf("unexpected Condition %v", s.Condition)
			}
		})
	}
}

func TestMarshal(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{
			name: "permissions policy in the contract's shape",
			in:   PermissionsPolicy("us-east-1", "123456789012", "ld-events", ""),
			want: `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["kinesis:PutRecord", "kinesis:PutRecords"],
      "Resource": ["arn:aws:kinesis:us-east-1:123456789012:stream/ld-events"]
    }
  ]
}
`,
		},
		{
			name: "trust policy with a condition",
			in:   TrustPolicy(false, "a&b<c>"),
			want: `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::554582317989:root"
      },
      "Action": "sts:AssumeRole",
      "Condition": {
        "StringEquals": {
          "sts:ExternalId": "a&b<c>"
        }
      }
    }
  ]
}
`,
		},
		{
			name: "empty containers, numbers, nested arrays",
			in:   map[string]any{"a": []any{}, "b": map[string]any{}, "c": []any{1, true, nil}, "d": []any{[]any{"x"}}},
			want: "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [1, true, null],\n  \"d\": [\n    [\"x\"]\n  ]\n}\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal =\n%s\nwant\n%s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("output is not valid JSON")
			}
		})
	}
}

func TestEqual(t *testing.T) {
	doc, _ := Marshal(TrustPolicy(false, ""))
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"same document, other layout", string(doc), `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::554582317989:root"}}],"Version":"2012-10-17"}`, true},
		{"different principal", string(doc), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`, false},
		{"not JSON", string(doc), `%7B`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Equal([]byte(tt.a), []byte(tt.b)); got != tt.want {
				t.Errorf("Equal = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTrustPolicyForPartition(t *testing.T) {
	if _, err := TrustPolicyForPartition("aws-cn", "", false, ""); !errors.Is(err, ErrPartition) {
		t.Fatalf("aws-cn without a LaunchDarkly account: %v, want ErrPartition", err)
	}
	if _, err := TrustPolicyForPartition("aws-us-gov", "", true, ""); !errors.Is(err, ErrPartition) {
		t.Fatalf("aws-us-gov without a LaunchDarkly account: %v, want ErrPartition", err)
	}
	doc, err := TrustPolicyForPartition("aws-us-gov", "111122223333", true, "")
	if err != nil || doc.Statement[0].Principal.AWS != "arn:aws-us-gov:iam::111122223333:role/LaunchDarkly-data-export" {
		t.Fatalf("aws-us-gov with an account: %+v %v", doc, err)
	}
	doc, err = TrustPolicyForPartition("aws", "", false, "x")
	if err != nil || doc.Statement[0].Principal.AWS != LaunchDarklyRootPrincipal || doc.Statement[0].Condition["StringEquals"]["sts:ExternalId"] != "x" {
		t.Fatalf("aws: %+v %v", doc, err)
	}
}

func TestTrustDifferences(t *testing.T) {
	offline, _ := Marshal(TrustPolicy(false, ""))
	same := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole"],"Principal":{"AWS":["arn:aws:iam::554582317989:root"]}}]}`)
	if d := TrustDifferences(same, offline, "a", "b"); len(d) != 0 {
		t.Fatalf("same policy in another shape: %v", d)
	}
	ld := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole"],"Principal":{"AWS":"arn:aws:iam::554582317989:role/LaunchDarkly-data-export"},"Condition":{"StringEquals":{"sts:ExternalId":"abc"}}}]}`)
	d := TrustDifferences(ld, offline, "LaunchDarkly's", "the offline one")
	if len(d) != 2 || d[0] != "Principal AWS:arn:aws:iam::554582317989:role/LaunchDarkly-data-export in LaunchDarkly's, AWS:arn:aws:iam::554582317989:root in the offline one" ||
		d[1] != "Condition StringEquals sts:ExternalId=abc in LaunchDarkly's, none in the offline one" {
		t.Fatalf("differences %q", d)
	}
}

func TestAWSPrincipals(t *testing.T) {
	tests := []struct {
		doc  string
		want []string
	}{
		{`{"Statement":[{"Principal":{"AWS":"arn:aws:iam::554582317989:root"}}]}`, []string{"arn:aws:iam::554582317989:root"}},
		{`{"Statement":[{"Principal":{"AWS":["b","a"]}},{"Principal":{"AWS":"a","Service":"s.amazonaws.com"}}]}`, []string{"a", "b"}},
		{`{"Statement":[{"Principal":"*"},{"Principal":{"Federated":"f"}}]}`, nil},
	}
	for _, tt := range tests {
		got, err := AWSPrincipals([]byte(tt.doc))
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("AWSPrincipals(%s) = %q, %v; want %q", tt.doc, got, err, tt.want)
		}
	}
	if _, err := AWSPrincipals([]byte("not json")); err == nil {
		t.Error("not JSON: no error")
	}
}
