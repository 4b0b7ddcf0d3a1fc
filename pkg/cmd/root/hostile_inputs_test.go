package root

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdtest"
)

// TestHostileInputs runs the whole command tree with inputs a hostile user
// types: each must end with the contract's exit code and one short line on
// stderr that names where the problem is, never echoing a password, and
// nothing may be stored.
func TestHostileInputs(t *testing.T) {
	create := func(extra ...string) []string {
		return append([]string{"dest", "create", "p", "--env", "production", "--stream", "ld-events", "--role-arn", roleARN}, extra...)
	}
	profile := filepath.Join(t.TempDir(), "aws-config")
	if err := os.WriteFile(profile, []byte("[default]\nregion = mars-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		edit      [2]string // a hand edit (old, new) of a store holding cmdtest's "prod"
		wantCode  int
		wantErr   string
		wantUsage bool
	}{
		{name: "environment key with a newline", args: create("--env", "prod\nx"), wantCode: 2, wantErr: `--env: invalid environment key "prod\nx"`},
		{name: "environment key with an escape sequence", args: create("--env", "\x1b[31mred"), wantCode: 2, wantErr: `--env: invalid environment key "\x1b[31mred"`},
		{name: "environment key of 100,000 characters", args: create("--env", strings.Repeat("a", 100000)), wantCode: 2, wantErr: "(100000 characters): longer than 100 characters"},
		{name: "project key with a space", args: create("--project", "my project"), wantCode: 2, wantErr: `--project: invalid project key "my project"`},
		{name: "empty project key", args: create("--project", ""), wantCode: 2, wantErr: "--project: empty project key"},
		{name: "KMS alias", args: create("--kms-key-arn", "arn:aws:kms:us-east-1:123456789012:alias/ld"), wantCode: 2, wantErr: "--kms-key-arn: KMS key ARN \"arn:aws:kms:us-east-1:123456789012:alias/ld\" is an alias"},
		{name: "KMS key in another region", args: create("--kms-key-arn", "arn:aws:kms:eu-west-1:123456789012:key/abc"), wantCode: 2, wantErr: "is in region eu-west-1, not the stream's region us-east-1"},
		{name: "KMS key in another partition", args: create("--region", "cn-north-1", "--role-arn", "arn:aws-cn:iam::123456789012:role/x", "--kms-key-arn", "arn:aws:kms:cn-north-1:123456789012:key/abc"), wantCode: 2, wantErr: "is in partition aws, but the stream's region cn-north-1 is in aws-cn"},
		{name: "external ID of 1,225 characters", args: create("--external-id", strings.Repeat("x", 1225)), wantCode: 2, wantErr: "--external-id: invalid external ID"},
		{name: "endpoint with a password", args: append([]string{"--endpoint-url", "http://user:secret@127.0.0.1:4567"}, create()...), wantCode: 2, wantErr: `--endpoint-url: invalid endpoint URL "http://127.0.0.1:4567": it carries a user name or password`},
		{name: "endpoint with a password from the environment", args: []string{"dest", "check", "prod"}, env: map[string]string{"LDEXPORT_ENDPOINT_URL": "http://user:secret@127.0.0.1:4567"}, wantCode: 2, wantErr: "LDEXPORT_ENDPOINT_URL: invalid endpoint URL"},
		{name: "endpoint that is not a URL, with a password", args: []string{"--endpoint-url", "http://user:secret%zz@127.0.0.1:4567", "tail", "--stream", "s"}, wantCode: 2, wantErr: "--endpoint-url: invalid endpoint URL: not a URL"},
		{name: "endpoint with another scheme", args: []string{"--endpoint-url", "ftp://127.0.0.1:1", "tail", "--stream", "s"}, wantCode: 2, wantErr: "the scheme must be http or https"},
		{name: "endpoint with a query", args: []string{"--endpoint-url", "http://127.0.0.1:1/?Action=x", "tail", "--stream", "s"}, wantCode: 2, wantErr: "a query is not allowed"},
		{name: "region flag mars-1 for send", args: []string{"--region", "mars-1", "send", "--stream", "s", "--dry-run"}, wantCode: 2, wantErr: `--region: invalid region "mars-1"`},
		{name: "LDEXPORT_REGION mars-1", args: []string{"gen", "--count", "1"}, env: map[string]string{"LDEXPORT_REGION": "mars-1"}, wantCode: 2, wantErr: `LDEXPORT_REGION: invalid region "mars-1"`},
		{name: "AWS_REGION mars-1 for send", args: []string{"send", "--stream", "s"}, env: map[string]string{"AWS_REGION": "mars-1"}, wantCode: 2, wantErr: `AWS_REGION: invalid region "mars-1"`},
		{name: "AWS_REGION mars-1 for tail", args: []string{"tail", "--stream", "s", "--endpoint-url", "http://127.0.0.1:1"}, env: map[string]string{"AWS_REGION": "mars-1"}, wantCode: 2, wantErr: `AWS_REGION: invalid region "mars-1"`},
		{name: "AWS_REGION mars-1 for iam policy", args: []string{"iam", "policy", "--account-id", "123456789012", "--stream", "s"}, env: map[string]string{"AWS_REGION": "mars-1"}, wantCode: 2, wantErr: `AWS_REGION: invalid region "mars-1"`},
		{name: "AWS_DEFAULT_REGION mars-1 for dest create", args: create(), env: map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": "mars-1"}, wantCode: 2, wantErr: `AWS_DEFAULT_REGION: invalid region "mars-1"`},
		{name: "profile region mars-1 for dest create", args: create(), env: map[string]string{"AWS_REGION": "", "AWS_CONFIG_FILE": profile}, wantCode: 2, wantErr: `the AWS configuration's region (profile default): invalid region "mars-1"`},
		{name: "profile region mars-1 for send", args: []string{"send", "--stream", "s"}, env: map[string]string{"AWS_REGION": "", "AWS_CONFIG_FILE": profile}, wantCode: 2, wantErr: `the AWS configuration's region (profile default): invalid region "mars-1"`},
		{name: "shards that overflow", args: []string{"shards", "--events-per-month", "1T", "--peak-factor", "1e300"}, wantCode: 2, wantErr: "needs more than 9,007,199,254,740,992 shards"},
		{name: "gen project key with a newline", args: []string{"gen", "--project", "a\nb"}, wantCode: 2, wantErr: `--project: invalid project key "a\nb"`},
		{name: "stored region mars-1", args: []string{"dest", "list"}, edit: [2]string{"region: us-east-1", "region: mars-1"}, wantCode: 1, wantErr: `config.yaml:7: invalid destination store: destination 1 ("prod"): region: invalid region "mars-1"`},
		{name: "stored endpoint with a password", args: []string{"dest", "check", "prod"}, edit: [2]string{"    createdAt:", "    endpointUrl: http://user:secret@127.0.0.1:4567\n    createdAt:"}, wantCode: 1, wantErr: `config.yaml:12: invalid destination store: destination 1 ("prod"): endpointUrl: invalid endpoint URL "http://127.0.0.1:4567"`},
		{name: "stored KMS alias", args: []string{"send", "--dest", "prod", "--dry-run"}, edit: [2]string{"    createdAt:", "    kmsKeyArn: arn:aws:kms:us-east-1:123456789012:alias/x\n    createdAt:"}, wantCode: 1, wantErr: `config.yaml:12: invalid destination store: destination 1 ("prod"): kmsKeyArn: KMS key ARN`},
		{name: "stored environment key with an escape", args: []string{"dest", "show", "prod"}, edit: [2]string{"environment: production", `environment: "prod\e[2J"`}, wantCode: 1, wantErr: `config.yaml:6: invalid destination store: destination 1 ("prod"): environment: invalid environment key "prod\x1b[2J"`},
		{name: "stored account unlike the role's", args: []string{"iam", "policy", "--dest", "prod"}, edit: [2]string{`accountId: "123456789012"`, `accountId: "210987654321"`}, wantCode: 1, wantErr: `config.yaml:11: invalid destination store: destination 1 ("prod"): accountId: 210987654321 differs from the role ARN's account 123456789012`},
		{name: "stored destination without a stream", args: []string{"dest", "list"}, edit: [2]string{"    streamName: ld-events\n", ""}, wantCode: 1, wantErr: `config.yaml:4: invalid destination store: destination 1 ("prod"): streamName: invalid stream name ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var stored string
			if tt.edit[0] != "" {
				e.Seed(t, cmdtest.Destinations()[0])
				data, err := os.ReadFile(e.StorePath)
				if err != nil || !strings.Contains(string(data), tt.edit[0]) {
					t.Fatalf("seeded store %v lacks %q:\n%s", err, tt.edit[0], data)
				}
				stored = strings.Replace(string(data), tt.edit[0], tt.edit[1], 1)
				if err := os.WriteFile(e.StorePath, []byte(stored), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			code := e.Run(Execute, tt.args...)
			stderr := e.ErrOut.String()
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%.500s", code, tt.wantCode, stderr)
			}
			first, rest, _ := strings.Cut(stderr, "\n")
			if !strings.Contains(first, tt.wantErr) {
				t.Errorf("first stderr line %.400q lacks %q", first, tt.wantErr)
			}
			if strings.TrimSpace(rest) != "" && !strings.HasPrefix(strings.TrimSpace(rest), "Usage:") {
				t.Errorf("more than one line on stderr:\n%.500s", stderr)
			}
			if len(first) > 400 || strings.ContainsAny(first, "\x1b\r") {
				t.Errorf("stderr line is not one short plain line: %.500q", first)
			}
			if strings.Contains(stderr+e.Out.String(), "secret") {
				t.Errorf("the password is echoed:\n%s", stderr)
			}
			data, err := os.ReadFile(e.StorePath)
			if stored == "" && err == nil {
				t.Errorf("a store was written:\n%s", data)
			}
			if stored != "" && string(data) != stored {
				t.Errorf("the hand-edited store was rewritten:\n%s", data)
			}
		})
	}
}

// TestHostileRegionInUnusedVariable: a malformed AWS_REGION is only an error
// for a command that uses a region; other AWS tools share the variable.
func TestHostileRegionInUnusedVariable(t *testing.T) {
	e := cmdtest.New(t)
	t.Setenv("AWS_REGION", "mars-1")
	if code := e.Run(Execute, "shards", "--events-per-month", "50M"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	if !strings.Contains(e.Out.String(), "Recommended shards: 1") {
		t.Errorf("output %q", e.Out)
	}
}

// TestHostileHugeValueErrorLine: whatever echoes a 100,000-character value,
// the error is one line of about maxErrorLine bytes that still says what is
// wrong (its start) and how to fix it (its end).
func TestHostileHugeValueErrorLine(t *testing.T) {
	huge := strings.Repeat("a", 100000)
	tests := []struct {
		args       []string
		start, end string
	}{
		// A name that cannot be a destination's is invalid input (exit 2),
		// said before the store is opened, no longer looked up as unknown.
		{[]string{"dest", "show", huge}, "invalid destination name", "starting with a letter or digit"},
		{[]string{"gen", "--kinds", huge}, "Error: --kinds: unknown event kind", "click, pageview) (see 'ldexport gen --help')"},
		{[]string{"dest", "show", "\x1b[2J" + huge + "\n"}, "invalid destination name", "starting with a letter or digit"},
	}
	for _, tt := range tests {
		e := cmdtest.New(t)
		code := e.Run(Execute, tt.args...)
		first, _, _ := strings.Cut(e.ErrOut.String(), "\n")
		if code == 0 || len(first) > maxErrorLine+100 || !strings.HasPrefix(first, tt.start) || !strings.HasSuffix(first, tt.end) || strings.ContainsAny(first, "\x1b\r") {
			t.Errorf("%.20q: exit %d, first line (%d bytes) %.200q … %.200q", tt.args, code, len(first), first, first[max(0, len(first)-200):])
		}
	}
}

func TestOneLineEscapesAndCuts(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\nb\r\n  c", "a b c"},
		{"red \x1b[31m here\x07", `red \x1b[31m here\x07`},
		{strings.Repeat("é", 600), strings.Repeat("é", 350) + " … (300 bytes cut) … " + strings.Repeat("é", 100)},
	}
	for _, tt := range tests {
		if got := oneLine(tt.in); got != tt.want {
			t.Errorf("oneLine(%.40q) = %.80q, want %.80q", tt.in, got, tt.want)
		}
	}
}
