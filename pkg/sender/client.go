package sender

import (
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go/logging"
)

// ClientOptions configures a Kinesis client for the sender: no SDK retries
// (the sender owns them, so a lost response is never resent blindly), enough
// idle connections for concurrency requests in flight, and request bodies
// that hide their WriteTo method from net/http. Against fast local endpoints
// the SDK's client was seen to close a connection while a response was still
// being read (aws-sdk-go-v2 #1825, #2737) when net/http wrote the body
// through WriteTo; a plain io.Reader body avoids it.
func ClientOptions(concurrency int) func(*kinesis.Options) {
	return func(o *kinesis.Options) {
		o.Retryer = aws.NopRetryer{}
		o.RetryMaxAttempts = 1
		// The sender reports every failure itself (retries, possibleDuplicates);
		// the SDK's own warnings would only interleave with the progress bar.
		o.Logger = logging.Nop{}
		// Keep the limits of the client the options came with (cmdutil's
		// dial, TLS and response header timeouts).
		hc, ok := o.HTTPClient.(*awshttp.BuildableClient)
		if !ok {
			hc = awshttp.NewBuildableClient()
		}
		hc = hc.WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = max(t.MaxIdleConns, 2*concurrency)
			t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, 2*concurrency)
			// No larger write buffer: net/http flushes the headers before
			// the body and then hands the body to the connection's
			// ReadFrom, which copies it in writes of 32 KiB whatever the
			// buffer's size. 256 KiB buffers only held 2 MiB of heap at
			// --concurrency 8 (seen with strace: the same writes either way).
		})
		o.HTTPClient = plainBodyClient{hc}
	}
}

// plainBodyClient hides the request body's io.WriterTo.
type plainBodyClient struct{ next aws.HTTPClient }

func (c plainBodyClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		if lb, ok := req.Context().Value(leanBodyKey{}).(*leanBody); ok {
			req.Body = &leanPlainBody{plainBody: plainBody{req.Body}, lb: lb}
		} else {
			req.Body = plainBody{req.Body}
		}
	}
	return c.next.Do(req)
}

// plainBody has only Read and Close.
type plainBody struct{ rc io.ReadCloser }

func (b plainBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b plainBody) Close() error               { return b.rc.Close() }
