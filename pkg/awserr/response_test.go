package awserr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// answer serves every request with one status, content type and body.
func answer(t *testing.T, status int, contentType, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

var creds = credentials.NewStaticCredentialsProvider("testing", "testing", "")

// kinesisErr is the error a real SDK Kinesis client (JSON protocol) returns
// for one DescribeStreamSummary against endpoint.
func kinesisErr(t *testing.T, endpoint string) error {
	c := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds, RetryMaxAttempts: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("s")})
	if err == nil {
		t.Fatal("no error")
	}
	return err
}

// iamErr is the same for IAM (query protocol, XML errors).
func iamErr(t *testing.T, endpoint string) error {
	c := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds, RetryMaxAttempts: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")})
	if err == nil {
		t.Fatal("no error")
	}
	return err
}

const (
	wafPage        = "<html><body><h1>403 Forbidden</h1>Request blocked.</body></html>"
	motoKinesis    = `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Errors><Error><Code>AccessDeniedException</Code><Message>User: arn:aws:iam::123456789012:user/x is not authorized to perform: kinesis:DescribeStreamSummary</Message></Error></Errors></ErrorResponse>`
	notAnOperation = "<!doctype html><title>500 Internal Server Error</title><h1>Internal Server Error</h1>"
)

func TestClassifyAnswers(t *testing.T) {
	tests := []struct {
		name           string
		err            func(*testing.T) error
		unparsable     bool
		client         bool
		notImplemented bool
		fatal          bool   // no retry can help
		overloaded     bool   // send less
		message        string // in Explain's line
	}{
		{
			name:       "Kinesis: a WAF's HTML 403",
			err:        func(t *testing.T) error { return kinesisErr(t, answer(t, 403, "text/html", wafPage)) },
			unparsable: true, client: true, fatal: true,
			message: "access denied or credentials rejected: the answer is not an AWS one (HTTP 403, unreadable answer",
		},
		{
			name:       "Kinesis: moto's XML denial",
			err:        func(t *testing.T) error { return kinesisErr(t, answer(t, 403, "text/xml", motoKinesis)) },
			unparsable: true, client: true, fatal: true,
			message: "access denied or credentials rejected",
		},
		{
			name: "Kinesis: a load balancer's HTML 503",
			err: func(t *testing.T) error {
				return kinesisErr(t, answer(t, 503, "text/html", "<html>503 Service Unavailable</html>"))
			},
			unparsable: true, overloaded: true,
		},
		{
			name: "Kinesis: throttled",
			err: func(t *testing.T) error {
				return kinesisErr(t, answer(t, 400, "application/x-amz-json-1.1", `{"__type":"LimitExceededException","message":"slow down"}`))
			},
			client: true,
		},
		{
			name: "Kinesis: InternalFailure",
			err: func(t *testing.T) error {
				return kinesisErr(t, answer(t, 500, "application/x-amz-json-1.1", `{"__type":"InternalFailure"}`))
			},
			overloaded: true,
		},
		{
			name: "Kinesis: a real JSON error",
			err: func(t *testing.T) error {
				return kinesisErr(t, answer(t, 400, "application/x-amz-json-1.1", `{"__type":"ResourceNotFoundException","message":"no"}`))
			},
			client: true, fatal: true,
		},
		{
			name:       "IAM: an HTML 500 from an emulator without the operation",
			err:        func(t *testing.T) error { return iamErr(t, answer(t, 500, "text/html", notAnOperation)) },
			unparsable: true, notImplemented: true, overloaded: true,
			message: "the answer is not an AWS one (HTTP 500",
		},
		{
			name: "IAM: InvalidAction",
			err: func(t *testing.T) error {
				return iamErr(t, answer(t, 400, "text/xml", `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>no</Message></Error></ErrorResponse>`))
			},
			client:         true,
			notImplemented: true,
			fatal:          true,
		},
		{
			name: "nothing listening",
			err: func(t *testing.T) error {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr := l.Addr().String()
				l.Close()
				return kinesisErr(t, "http://"+addr)
			},
			message: "connection refused",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err(t)
			if got := Unparsable(err); got != tt.unparsable {
				t.Errorf("Unparsable = %v, want %v (%v)", got, tt.unparsable, err)
			}
			if got := IsClientError(err); got != tt.client {
				t.Errorf("IsClientError = %v, want %v (%v)", got, tt.client, err)
			}
			if got := IsNotImplemented(err); got != tt.notImplemented {
				t.Errorf("IsNotImplemented = %v, want %v (%v)", got, tt.notImplemented, err)
			}
			if got := Fatal(err); got != tt.fatal {
				t.Errorf("Fatal = %v, want %v (%v)", got, tt.fatal, err)
			}
			if got := Overloaded(err); got != tt.overloaded {
				t.Errorf("Overloaded = %v, want %v (%v)", got, tt.overloaded, err)
			}
			if msg := Explain(context.Background(), err, Op{}).Error(); tt.message != "" && !strings.Contains(msg, tt.message) {
				t.Errorf("Explain = %q, want it to contain %q", msg, tt.message)
			}
		})
	}
	if Unparsable(errors.New("plain")) || Unparsable(nil) || IsClientError(nil) || Fatal(nil) || Overloaded(nil) {
		t.Error("a plain error or nil is classified")
	}
}

// No answer in time means an overloaded endpoint, whichever limit ran out;
// a refused connection or an interrupt does not.
func TestOverloadedWithoutAnAnswer(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{context.DeadlineExceeded, true},
		{fmt.Errorf("%w: operation error Kinesis: PutRecords", &Deadline{Name: "per-request limit", After: time.Second}), true},
		{context.Canceled, false},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, false},
	} {
		if got := Overloaded(tt.err); got != tt.want {
			t.Errorf("Overloaded(%v) = %v, want %v", tt.err, got, tt.want)
		}
		if Fatal(tt.err) {
			t.Errorf("Fatal(%v): a retry may succeed", tt.err)
		}
	}
}
