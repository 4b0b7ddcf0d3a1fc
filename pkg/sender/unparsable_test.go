package sender

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/kinesistest"
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
			f := newFake(t, 1, func(*kinesistest.Call) kinesistest.Reply {
				return kinesistest.Reply{Status: tt.status, ContentType: tt.contentType, Body: []byte(tt.body)}
			})
			r := send(t, context.Background(), f.client(), Config{StreamName: "s", Concurrency: 1, MaxAttempts: 5}, records(10))
			var fe *FatalError
			if !errors.As(r.err, &fe) || !strings.Contains(fe.Error(), tt.want) {
				t.Fatalf("err %v, want a FatalError saying %q", r.err, tt.want)
			}
			if n := f.srv.Stats().Operations["PutRecords"]; n != 1 {
				t.Errorf("%d requests, want 1: the answer was retried", n)
			}
			if r.stats.Sent != 0 || r.stats.Failed != 10 || r.stats.Retries != 0 {
				t.Errorf("stats %+v", r.stats)
			}
		})
	}
}
