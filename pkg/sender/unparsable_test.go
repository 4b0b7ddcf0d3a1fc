package sender

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// A 4xx whose body is not an AWS error (a WAF's HTML, moto's XML denial) is
// the endpoint's answer: the run stops on the first one, no retries.
func TestUnparsable4xxIsFatalNotRetried(t *testing.T) {
	for _, tt := range []struct {
		name, contentType, body string
		status                  int
		want                    string
	}{
		{"WAF page", "text/html", "<html><h1>403 Forbidden</h1></html>", 403, `HTTP 403, unreadable answer "<html><h1>403 Forbidden</h1></html>"`},
		{"moto XML denial", "text/xml", `<ErrorResponse><Errors><Error><Code>AccessDeniedException</Code></Error></Errors></ErrorResponse>`, 403, "HTTP 403, unreadable answer"},
		{"proxy 407", "text/html", "<html>auth required</html>", 407, "HTTP 407, unreadable answer"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")}, ClientOptions(1))
			r := send(t, context.Background(), c, Config{StreamName: "s", Concurrency: 1, MaxAttempts: 5}, records(10))
			var fe *FatalError
			if !errors.As(r.err, &fe) || !strings.Contains(fe.Error(), tt.want) {
				t.Fatalf("err %v, want a FatalError saying %q", r.err, tt.want)
			}
			if n := requests.Load(); n != 1 {
				t.Errorf("%d requests, want 1: the answer was retried", n)
			}
			if r.stats.Sent != 0 || r.stats.Failed != 10 || r.stats.Retries != 0 {
				t.Errorf("stats %+v", r.stats)
			}
		})
	}
}
