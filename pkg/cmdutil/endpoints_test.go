package cmdutil

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/iostreams"
)

func TestRefuseRealAWS(t *testing.T) {
	local := "http://127.0.0.1:4567"
	tests := []struct {
		name    string
		kinesis string
		iam     string
		sts     string
		allow   bool
		wantErr string
	}{
		{name: "all AWS", kinesis: "", iam: "", sts: ""},
		{name: "Kinesis on a remote endpoint", kinesis: "https://kinesis.example.com", iam: "", sts: ""},
		{name: "everything local", kinesis: local, iam: "http://127.0.0.1:5055", sts: "http://localhost:5055"},
		{name: "local Kinesis, IAM and STS bound for AWS", kinesis: local, wantErr: "IAM and STS calls would go to real AWS; point them at the emulator (AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS) or pass --allow-real-aws"},
		{name: "local Kinesis, STS bound for AWS", kinesis: local, iam: "http://127.0.0.1:5055", wantErr: "but STS calls would go to real AWS"},
		{name: "allowed", kinesis: local, allow: true},
		{name: "IPv6 loopback", kinesis: "http://[::1]:4567", wantErr: "Kinesis is the local endpoint http://[::1]:4567"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := RefuseRealAWS("iam apply", tt.allow, ServiceEndpoint{"Kinesis", tt.kinesis}, ServiceEndpoint{"IAM", tt.iam}, ServiceEndpoint{"STS", tt.sts})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || ExitCode(err) != ExitUsage {
				t.Fatalf("err = %v (exit %d), want exit 2 containing %q", err, ExitCode(err), tt.wantErr)
			}
		})
	}
}

func TestServiceEndpointString(t *testing.T) {
	if got := (ServiceEndpoint{"IAM", "http://127.0.0.1:5055"}).String(); got != "IAM: http://127.0.0.1:5055" {
		t.Errorf("String = %q", got)
	}
	if got := (ServiceEndpoint{"STS", ""}).String(); got != "STS: AWS" {
		t.Errorf("String = %q", got)
	}
}

// A malformed endpoint in the SDK's settings is invalid input (exit 2) that
// names where it came from, not a failed call (exit 1) to a bad URL.
func TestMalformedSDKEndpointIsUsageError(t *testing.T) {
	tests := []struct {
		env, value, client, want string
	}{
		{"AWS_ENDPOINT_URL_IAM", ":bad", "IAM", `AWS_ENDPOINT_URL_IAM: invalid endpoint URL: not a URL`},
		{"AWS_ENDPOINT_URL_STS", "ftp://127.0.0.1:5055", "STS", `AWS_ENDPOINT_URL_STS: invalid endpoint URL "ftp://127.0.0.1:5055": the scheme must be http or https`},
		{"AWS_ENDPOINT_URL_KINESIS", "http://", "Kinesis", `AWS_ENDPOINT_URL_KINESIS: invalid endpoint URL "http://": no host`},
		{"AWS_ENDPOINT_URL", "localhost:4567", "STS", `AWS_ENDPOINT_URL: invalid endpoint URL "localhost:4567": the scheme must be http or https`},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			hermetic(t)
			t.Setenv(tt.env, tt.value)
			f := NewFactory(&iostreams.IOStreams{}, BuildInfo{})
			ctx := context.Background()
			var err error
			switch tt.client {
			case "IAM":
				_, err = f.IAM(ctx, "us-east-1")
			case "STS":
				_, err = f.STS(ctx, "us-east-1")
			case "Kinesis":
				_, err = f.Kinesis(ctx, "us-east-1", "")
			}
			if err == nil || ExitCode(err) != ExitUsage || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("%s=%s: err = %v (exit %d), want one line, exit 2, starting %q", tt.env, tt.value, err, ExitCode(err), tt.want)
			}
		})
	}
}

// A well-formed endpoint in the SDK's settings is used as it is.
func TestWellFormedSDKEndpointIsUsed(t *testing.T) {
	hermetic(t)
	t.Setenv("AWS_ENDPOINT_URL_IAM", "https://iam.example.com")
	f := NewFactory(&iostreams.IOStreams{}, BuildInfo{})
	c, err := f.IAM(context.Background(), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if got := IAMEndpoint(c).URL; got != "https://iam.example.com" {
		t.Errorf("IAM endpoint %q, want https://iam.example.com", got)
	}
}

// The profile's endpoint_url is named when no variable gave the endpoint.
func TestMalformedProfileEndpointIsUsageError(t *testing.T) {
	dir := hermetic(t)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("[default]\nendpoint_url = ftp://127.0.0.1:5055\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := NewFactory(&iostreams.IOStreams{}, BuildInfo{}).STS(context.Background(), "us-east-1")
	if want := "the AWS profile's endpoint_url: invalid endpoint URL"; err == nil || ExitCode(err) != ExitUsage || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v (exit %d), want exit 2 starting %q", err, ExitCode(err), want)
	}
}
