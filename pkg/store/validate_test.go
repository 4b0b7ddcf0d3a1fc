package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostileHandEditedStore: each bad value a hand edit can leave in the
// store is refused on load with a ParseError naming the file, the line and the
// field, and the file is left as it is.
func TestHostileHandEditedStore(t *testing.T) {
	const valid = `version: 1
destinations:
  - name: prod
    project: default
    environment: production
    region: us-east-1
    streamName: ld-events
    streamArn: arn:aws:kinesis:us-east-1:123456789012:stream/ld-events
    roleArn: arn:aws:iam::123456789012:role/ld-export
    accountId: "123456789012"
    createdAt: 2026-11-26T10:00:00Z
`
	second := strings.Replace(strings.SplitN(valid, "destinations:\n", 2)[1], "environment: production", "environment: staging", 1)
	tests := []struct {
		name, from, to string
		line           int
		want           string
	}{
		{"name", "name: prod", "name: -prod", 3, "name: invalid destination name"},
		{"project", "project: default", "project: \"my project\"", 4, `project: invalid project key "my project"`},
		{"environment", "environment: production", `environment: "prod\nx"`, 5, `environment: invalid environment key "prod\nx"`},
		{"long environment", "environment: production", "environment: " + strings.Repeat("e", 101), 5, "longer than 100 characters"},
		{"region", "region: us-east-1", "region: mars-1", 6, `region: invalid region "mars-1"`},
		{"stream", "streamName: ld-events", "streamName: ld/events", 7, "streamName: invalid stream name"},
		{"stream ARN", "stream/ld-events", "stream/other", 8, "streamArn: \"arn:aws:kinesis:us-east-1:123456789012:stream/other\" is not the ARN of the destination's stream"},
		{"role", "role/ld-export", "user/ld-export", 9, "roleArn: invalid role ARN"},
		{"role partition", "arn:aws:iam::", "arn:aws-cn:iam::", 9, "roleArn: partition aws-cn does not match region us-east-1"},
		{"account", `accountId: "123456789012"`, `accountId: "210987654321"`, 10, "accountId: 210987654321 differs from the role ARN's account 123456789012"},
		{"external ID", "createdAt:", "externalId: \"a b\"\n    createdAt:", 11, "externalId: invalid external ID"},
		{"KMS alias", "createdAt:", "kmsKeyArn: arn:aws:kms:us-east-1:123456789012:alias/x\n    createdAt:", 11, "kmsKeyArn: KMS key ARN \"arn:aws:kms:us-east-1:123456789012:alias/x\" is an alias"},
		{"KMS region", "createdAt:", "kmsKeyArn: arn:aws:kms:eu-west-1:123456789012:key/k\n    createdAt:", 11, "kmsKeyArn: KMS key \"arn:aws:kms:eu-west-1:123456789012:key/k\" is in region eu-west-1"},
		{"endpoint password", "createdAt:", "endpointUrl: http://u:secret@127.0.0.1:1\n    createdAt:", 11, `endpointUrl: invalid endpoint URL "http://127.0.0.1:1": it carries a user name or password`},
		{"missing field", "    region: us-east-1\n", "", 3, `region: invalid region ""`},
		{"name twice", "createdAt: 2026-11-26T10:00:00Z\n", "createdAt: 2026-11-26T10:00:00Z\n" + second, 12, `destination 2: destination already exists: "prod" is named twice`},
		{"environment twice", "createdAt: 2026-11-26T10:00:00Z\n", "createdAt: 2026-11-26T10:00:00Z\n" + strings.NewReplacer("name: prod", "name: prod2", "staging", "production").Replace(second), 14, "environment already has a destination"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := strings.Replace(valid, tt.from, tt.to, 1)
			s := New(filepath.Join(t.TempDir(), "config.yaml"))
			if err := os.WriteFile(s.Path(), []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := s.List()
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != tt.line || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), s.Path()) {
				t.Fatalf("List: %v (line %d), want a ParseError at line %d containing %q", err, lineOf(pe), tt.line, tt.want)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error echoes a password or breaks the line: %q", err)
			}
			if err := s.Add(dest("other", "other")); !errors.As(err, &pe) {
				t.Errorf("Add on an invalid store: %v, want the ParseError", err)
			}
			if got, _ := os.ReadFile(s.Path()); string(got) != data {
				t.Errorf("the store was rewritten:\n%s", got)
			}
		})
	}
}

func lineOf(pe *ParseError) int {
	if pe == nil {
		return -1
	}
	return pe.Line
}

// TestUpdateNeverWritesAnInvalidStore: what Update writes, Load accepts.
func TestUpdateNeverWritesAnInvalidStore(t *testing.T) {
	s := tempStore(t)
	bad := dest("prod", "production")
	bad.Region = "mars-1"
	if err := s.Add(bad); err == nil || !strings.Contains(err.Error(), `invalid region "mars-1"`) {
		t.Fatalf("Add(region mars-1) = %v", err)
	}
	if _, err := os.Stat(s.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a store was written: %v", err)
	}
}
