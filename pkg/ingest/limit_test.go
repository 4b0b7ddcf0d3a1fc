package ingest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/ldexport/ldexport/pkg/cmdutil"
)

func TestRecordSizeLimit(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		want     int
		wantErr  string
		wantCode int
	}{
		{"stream says 2 MiB", 200, `{"StreamDescriptionSummary":{"StreamName":"s","MaxRecordSizeInKiB":2048}}`, 2 << 20, "", 0},
		{"field absent (kinesalite)", 200, `{"StreamDescriptionSummary":{"StreamName":"s"}}`, 1 << 20, "", 0},
		{"access denied", 400, `{"__type":"AccessDeniedException","message":"no"}`, 1 << 20, "", 0},
		{"missing stream", 400, `{"__type":"ResourceNotFoundException","message":"Stream s not found"}`, 0, `Kinesis DescribeStreamSummary on stream "s" at http://127.0.0.1:`, 1},
		{"bad credentials", 400, `{"__type":"UnrecognizedClientException","message":"bad token"}`, 0, "AWS rejected the credentials (UnrecognizedClientException: bad token); fix: check --profile", 1},
		// An answer that is not an AWS error is an answer: not "cannot reach".
		{"a WAF's HTML 403", 403, `<html><h1>403 Forbidden</h1></html>`, 0, "access denied or credentials rejected: the answer is not an AWS one (HTTP 403", 1},
		{"moto's XML denial", 403, `<ErrorResponse><Errors><Error><Code>AccessDeniedException</Code></Error></Errors></ErrorResponse>`, 0, "access denied or credentials rejected", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Get("X-Amz-Target"); got != "Kinesis_20131202.DescribeStreamSummary" {
					t.Errorf("target %q", got)
				}
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			c := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
			j := &Job{Target: Target{Stream: "s", Region: "us-east-1", Endpoint: srv.URL}}
			got, err := j.recordSizeLimit(context.Background(), c)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "cannot reach") || cmdutil.ExitCode(err) != tt.wantCode {
					t.Fatalf("err = %v (exit %d), want %q", err, cmdutil.ExitCode(err), tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("limit %d, err %v; want %d", got, err, tt.want)
			}
		})
	}
}

// A connection that fails is said so, naming the endpoint the client
// actually used (here the target names none, as when the endpoint came from
// AWS_ENDPOINT_URL_KINESIS rather than --endpoint-url).
func TestRecordSizeLimitCannotReach(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""), RetryMaxAttempts: 1})
	j := &Job{Target: Target{Stream: "s", Region: "us-east-1"}}
	_, err := j.recordSizeLimit(context.Background(), c)
	if err == nil || !strings.Contains(err.Error(), "at "+url+": connection refused") || cmdutil.ExitCode(err) != 1 {
		t.Fatalf("err = %v, want exit 1 naming %s", err, url)
	}
}
