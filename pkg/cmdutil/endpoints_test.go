package cmdutil

import (
	"strings"
	"testing"
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
