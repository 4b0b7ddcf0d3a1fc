package cmdutil

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ldexport/ldexport/pkg/iostreams"
)

// hermetic points the SDK at empty config files and clears every variable
// that could send a client elsewhere.
func hermetic(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_REGION", "us-east-1")
	for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KINESIS", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"} {
		t.Setenv(k, "")
		os.Unsetenv(k) // the SDK treats a set-but-empty AWS_ENDPOINT_URL as set
	}
	return dir
}

// clients builds the Factory's three clients.
func clients(t *testing.T, f *Factory, kinesisOverride string) (*kinesis.Client, *iam.Client, *sts.Client) {
	t.Helper()
	ctx := context.Background()
	k, err := f.Kinesis(ctx, "us-east-1", kinesisOverride)
	if err != nil {
		t.Fatal(err)
	}
	i, err := f.IAM(ctx, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.STS(ctx, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	return k, i, s
}

// endpoints says where each of the Factory's clients goes.
func endpoints(t *testing.T, f *Factory, kinesisOverride string) [3]string {
	t.Helper()
	k, i, s := clients(t, f, kinesisOverride)
	return [3]string{KinesisEndpoint(k).String(), IAMEndpoint(i).String(), STSEndpoint(s).String()}
}

func TestFactoryServiceEndpoints(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		config   string
		profile  string
		global   string // --endpoint-url
		override string // a destination's endpointUrl
		want     [3]string
	}{
		{name: "AWS's own", want: [3]string{"Kinesis: AWS", "IAM: AWS", "STS: AWS"}},
		{
			name: "per-service variables",
			env:  map[string]string{"AWS_ENDPOINT_URL_IAM": "http://127.0.0.1:5001", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:5002", "AWS_ENDPOINT_URL_KINESIS": "http://127.0.0.1:5003"},
			want: [3]string{"Kinesis: http://127.0.0.1:5003", "IAM: http://127.0.0.1:5001", "STS: http://127.0.0.1:5002"},
		},
		{
			name: "AWS_ENDPOINT_URL for all, one service apart",
			env:  map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:5002"},
			want: [3]string{"Kinesis: http://127.0.0.1:5000", "IAM: http://127.0.0.1:5000", "STS: http://127.0.0.1:5002"},
		},
		{
			name: "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS switches them off",
			env:  map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_IAM": "http://127.0.0.1:5001", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
			want: [3]string{"Kinesis: AWS", "IAM: AWS", "STS: AWS"},
		},
		{
			name:     "a destination's endpointUrl is Kinesis only",
			env:      map[string]string{"AWS_ENDPOINT_URL_IAM": "http://127.0.0.1:5001"},
			override: "http://127.0.0.1:4567",
			want:     [3]string{"Kinesis: http://127.0.0.1:4567", "IAM: http://127.0.0.1:5001", "STS: AWS"},
		},
		{
			name:     "--endpoint-url wins over the destination's and the SDK's",
			env:      map[string]string{"AWS_ENDPOINT_URL_KINESIS": "http://127.0.0.1:5003"},
			global:   "http://127.0.0.1:9999",
			override: "http://127.0.0.1:4567",
			want:     [3]string{"Kinesis: http://127.0.0.1:9999", "IAM: AWS", "STS: AWS"},
		},
		{
			name:    "the shared config's services section",
			profile: "moto",
			config: `[profile moto]
region = us-east-1
services = local-moto

[services local-moto]
iam =
  endpoint_url = http://127.0.0.1:5055
sts =
  endpoint_url = http://127.0.0.1:5056
kinesis =
  endpoint_url = http://127.0.0.1:4567
`,
			want: [3]string{"Kinesis: http://127.0.0.1:4567", "IAM: http://127.0.0.1:5055", "STS: http://127.0.0.1:5056"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := hermetic(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if tt.config != "" {
				if err := os.WriteFile(filepath.Join(dir, "config"), []byte(tt.config), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			ios, _, _, _ := iostreams.Test()
			f := NewFactory(ios, BuildInfo{})
			f.Globals.Profile = tt.profile
			f.Globals.EndpointURL = tt.global
			if got := endpoints(t, f, tt.override); got != tt.want {
				t.Errorf("endpoints %v, want %v", got, tt.want)
			}
		})
	}
}

// A client the SDK's settings send to a local emulator gets placeholder
// credentials when there are none, as one for --endpoint-url does.
func TestFactoryEmulatorCredentials(t *testing.T) {
	hermetic(t)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
	ios, _, _, _ := iostreams.Test()
	f := NewFactory(ios, BuildInfo{})
	ctx := context.Background()
	k, i, s := clients(t, f, "")
	for name, p := range map[string]aws.CredentialsProvider{"IAM": i.Options().Credentials, "STS": s.Options().Credentials, "Kinesis": k.Options().Credentials} {
		c, err := p.Retrieve(ctx)
		if err != nil || c.AccessKeyID != "local" {
			t.Errorf("%s credentials %q (%v), want the placeholder", name, c.AccessKeyID, err)
		}
	}
}
