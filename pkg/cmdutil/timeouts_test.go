package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go/middleware"
	"github.com/ldexport/ldexport/pkg/awserr"
	"github.com/ldexport/ldexport/pkg/endpointtest"
)

// Without a deadline of its own, a call to a silent endpoint ends after
// each attempt's limit, naming the limit that ran out.
func TestHostileAttemptLimits(t *testing.T) {
	tests := []struct {
		name     string
		timeouts Timeouts
		want     string
	}{
		{"response header limit", Timeouts{Dial: time.Second, TLSHandshake: time.Second, ResponseHeader: 150 * time.Millisecond, Attempt: 5 * time.Second},
			"timed out after 150ms (response header limit)"},
		{"per-attempt limit", Timeouts{Dial: time.Second, TLSHandshake: time.Second, ResponseHeader: 5 * time.Second, Attempt: 150 * time.Millisecond},
			"timed out after 150ms (per-attempt limit)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := endpointtest.Silent(t)
			c := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 2,
				Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
				HTTPClient:  tt.timeouts.HTTPClient(), APIOptions: []func(*middleware.Stack) error{tt.timeouts.APIOption()}})
			start := time.Now()
			_, err := c.ListShards(context.Background(), &kinesis.ListShardsInput{StreamName: aws.String("s")})
			if took := time.Since(start); took > 5*time.Second {
				t.Fatalf("took %s", took)
			}
			msg := awserr.Explain(context.Background(), err, awserr.Op{Service: "Kinesis", Call: "ListShards", Endpoint: url}).Error()
			if awserr.Classify(err) != awserr.Timeout || !strings.Contains(msg, tt.want) {
				t.Fatalf("err %v\nmessage %q, want %q", err, msg, tt.want)
			}
			if !awserr.MaybeDone(err) {
				t.Errorf("a request that went out and got no answer may have taken effect")
			}
		})
	}
}

// The factory's clients carry the limits.
func TestHostileFactoryClientsAreBounded(t *testing.T) {
	// Whatever the developer's AWS environment says (AWS_PROFILE=ghost...).
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
		}
	}
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	cfg, err := LoadAWSConfig(context.Background(), &GlobalOptions{}, "us-east-1", "http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.APIOptions) == 0 {
		t.Fatal("no per-attempt limit in the API options")
	}
	st := middleware.NewStack("op", nil)
	if err := cfg.APIOptions[0](st); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Finalize.Get("ldexportAttemptTimeout"); !ok {
		t.Fatal("the per-attempt limit is not in the finalize step")
	}
	if _, ok := cfg.HTTPClient.(interface{ GetTimeout() time.Duration }); !ok {
		t.Fatalf("HTTP client %T is not the SDK's buildable client", cfg.HTTPClient)
	}
}

func TestHostileExitCodeDeadlineVersusInterrupt(t *testing.T) {
	// A deadline whose SDK chain says "context canceled" (a request context
	// cancelled after its parent's deadline) is still 1.
	sdk := fmt.Errorf("operation error Kinesis: ListShards, https response error StatusCode: 0, canceled, %w", context.Canceled)
	ctx, cancel := awserr.WithDeadline(context.Background(), time.Nanosecond, "--timeout")
	defer cancel()
	<-ctx.Done()
	if got := ExitCode(awserr.Explain(ctx, sdk, awserr.Op{})); got != ExitRuntime {
		t.Errorf("deadline: exit %d, want 1", got)
	}
	ictx, interrupt := context.WithCancel(context.Background())
	interrupt()
	if got := ExitCode(awserr.Explain(ictx, sdk, awserr.Op{})); got != ExitInterrupted {
		t.Errorf("interrupt: exit %d, want 130", got)
	}
	if got := ExitCode(fmt.Errorf("dest test d: %w", awserr.Explain(context.Background(), errors.New("EOF"), awserr.Op{}))); got != ExitRuntime {
		t.Errorf("lost connection: exit %d, want 1", got)
	}
}
