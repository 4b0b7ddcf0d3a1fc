package awserr_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/ldexport/ldexport/pkg/awserr"
	"github.com/ldexport/ldexport/pkg/endpointtest"
)

// callKinesis makes one real SDK call (PutRecord, one attempt) to url under
// ctx and returns its error: the error chains users meet, not hand-made ones.
func callKinesis(t *testing.T, ctx context.Context, url string) error {
	t.Helper()
	c := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
	_, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: []byte("{}")})
	if err == nil {
		t.Fatal("the call succeeded")
	}
	return err
}

func awsErr(status int, code, msg string) func(testing.TB) string {
	return func(t testing.TB) string { return endpointtest.AWSError(t, status, code, msg) }
}

func answer(status int, contentType, body string) func(testing.TB) string {
	return func(t testing.TB) string { return endpointtest.Answering(t, status, contentType, body) }
}

func TestHostileExplainRealSDKErrors(t *testing.T) {
	tests := []struct {
		name      string
		url       func(testing.TB) string
		kind      awserr.Kind
		maybeDone bool
		want      string // the whole message after the head
	}{
		{"refused", endpointtest.Refused, awserr.Refused, false,
			"connection refused (dial tcp ADDR: connect: connection refused); fix: start the endpoint, or correct the endpoint URL (--endpoint-url)"},
		{"not found", awsErr(400, "ResourceNotFoundException", "Stream s not found."), awserr.NotFound, false,
			"not found (ResourceNotFoundException: Stream s not found.); fix: check the name and the endpoint, or create it there"},
		{"access denied", awsErr(400, "AccessDeniedException", "not authorized"), awserr.AccessDenied, false,
			"access denied (AccessDeniedException: not authorized); fix: grant the caller kinesis:PutRecord on it, or use other credentials (--profile)"},
		{"KMS", awsErr(400, "KMSDisabledException", "key disabled"), awserr.KMS, false,
			"its KMS key cannot be used (KMSDisabledException: key disabled); fix: enable the key and allow the caller kms:GenerateDataKey on it"},
		{"unrecognized client", awsErr(400, "UnrecognizedClientException", "bad token"), awserr.Credentials, false,
			"AWS rejected the credentials (UnrecognizedClientException: bad token); fix: check --profile / AWS_PROFILE and the credentials it uses, or log in again (aws sso login)"},
		{"expired token", awsErr(400, "ExpiredTokenException", "expired"), awserr.Credentials, false,
			"AWS rejected the credentials (ExpiredTokenException: expired); fix: check --profile / AWS_PROFILE and the credentials it uses, or log in again (aws sso login)"},
		{"throttled", awsErr(400, "ProvisionedThroughputExceededException", "Rate exceeded for shard"), awserr.Throttled, false,
			"throttled (ProvisionedThroughputExceededException: Rate exceeded for shard); fix: retry later, or give the stream more shards (ldexport shards)"},
		{"unknown 4xx code", awsErr(400, "WeirdException", "odd"), awserr.Invalid, false,
			"the request was refused (WeirdException: odd)"},
		{"internal failure", awsErr(500, "InternalFailure", "oops"), awserr.ServerError, false,
			"the service failed (InternalFailure: oops); fix: retry later"},
		{"HTML 502", answer(502, "text/html", "<html><h1>502 Bad Gateway</h1></html>"), awserr.BadResponse, false,
			`the answer is not an AWS one (HTTP 502, unreadable answer "<html><h1>502 Bad Gateway</h1></html>"); fix: check the endpoint URL and any proxy (HTTPS_PROXY) between you and AWS`},
		{"garbage 200", answer(200, "application/x-amz-json-1.1", "{not json"), awserr.BadResponse, true,
			`the answer is not an AWS one (HTTP 200, unreadable answer: invalid literal at offset 1); fix: check the endpoint URL and any proxy (HTTPS_PROXY) between you and AWS`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url(t)
			err := callKinesis(t, context.Background(), url)
			if got := awserr.Classify(err); got != tt.kind {
				t.Errorf("Classify = %v, want %v (%v)", got, tt.kind, err)
			}
			if got := awserr.MaybeDone(err); got != tt.maybeDone {
				t.Errorf("MaybeDone = %v, want %v", got, tt.maybeDone)
			}
			op := awserr.Op{Service: "Kinesis", Call: "PutRecord", Resource: `stream "s"`, Region: "us-east-1", Endpoint: url, Permission: "kinesis:PutRecord"}
			msg := awserr.Explain(context.Background(), err, op).Error()
			want := `Kinesis PutRecord on stream "s" at ` + url + ": " + strings.ReplaceAll(tt.want, "ADDR", strings.TrimPrefix(url, "http://"))
			if msg != want {
				t.Errorf("message\n%s\nwant\n%s", msg, want)
			}
		})
	}
}

// A command's deadline names itself; an interrupt is Canceled; neither
// exposes context.Canceled for a timeout.
func TestHostileExplainContext(t *testing.T) {
	url := endpointtest.Silent(t)
	op := awserr.Op{Service: "Kinesis", Call: "PutRecord", Resource: `stream "s"`, Endpoint: url}

	ctx, cancel := awserr.WithDeadline(context.Background(), 200*time.Millisecond, "--timeout")
	defer cancel()
	start := time.Now()
	err := awserr.Explain(ctx, callKinesis(t, ctx, url), op)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the call took %s under a 200ms deadline", took)
	}
	want := `Kinesis PutRecord on stream "s" at ` + url + ": timed out after 200ms (--timeout) with no answer; fix: check that the endpoint is up and answers, or allow more time with --timeout"
	if err.Error() != want || awserr.Classify(err) != awserr.Timeout || errors.Is(err, context.Canceled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: %v (kind %v)\nwant %s", err, awserr.Classify(err), want)
	}

	ictx, interrupt := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, interrupt)
	err = awserr.Explain(ictx, callKinesis(t, ictx, url), op)
	if awserr.Classify(err) != awserr.Canceled || !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupt: %v (kind %v)", err, awserr.Classify(err))
	}
}

func TestCodeKind(t *testing.T) {
	for code, want := range map[string]awserr.Kind{
		"ProvisionedThroughputExceededException": awserr.Throttled, "KMSThrottlingException": awserr.Throttled,
		"InternalFailure": awserr.ServerError, "KMSAccessDeniedException": awserr.KMS, "": awserr.Other, "Novel": awserr.Other,
	} {
		if got := awserr.CodeKind(code); got != want {
			t.Errorf("CodeKind(%q) = %v, want %v", code, got, want)
		}
	}
	for _, k := range []awserr.Kind{awserr.NotFound, awserr.AccessDenied, awserr.KMS, awserr.Credentials, awserr.Invalid, awserr.Unsupported} {
		if !k.Fatal() {
			t.Errorf("%v is not fatal", k)
		}
	}
	for _, k := range []awserr.Kind{awserr.Throttled, awserr.ServerError, awserr.Timeout, awserr.Refused, awserr.ConnectionLost, awserr.BadResponse} {
		if k.Fatal() {
			t.Errorf("%v is fatal: a retry may help", k)
		}
	}
}
