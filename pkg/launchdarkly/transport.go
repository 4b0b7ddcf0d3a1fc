package launchdarkly

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// maxBodyBytes bounds what is read of one answer. LaunchDarkly's largest, a
// list of destinations, is a few KiB; a broken proxy or a hostile host that
// sends without end must not fill memory.
const maxBodyBytes = 4 << 20

// errBodyTooLarge is the read error of an answer longer than maxBodyBytes.
var errBodyTooLarge = fmt.Errorf("the answer is larger than %d MiB, not read further", maxBodyBytes>>20)

// transport bounds every answer's body and hands the answer's header to the
// call that asked for it (see withHeaderSink).
type transport struct{ base http.RoundTripper }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if sink, ok := req.Context().Value(headerSinkKey{}).(*http.Header); ok {
		*sink = resp.Header
	}
	resp.Body = &limitedBody{ReadCloser: resp.Body}
	return resp, nil
}

// limitedBody fails a read that would take the body past maxBodyBytes.
type limitedBody struct {
	io.ReadCloser
	n int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	// One byte beyond the limit tells a body of exactly maxBodyBytes from a
	// longer one.
	if rest := maxBodyBytes + 1 - b.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if b.n > maxBodyBytes {
		return 0, errBodyTooLarge
	}
	return n, err
}

type headerSinkKey struct{}

// withHeaderSink returns a context whose request's answer header transport
// stores in *h: the generated response types do not show their headers in
// one way, and a 429's Retry-After is in them.
func withHeaderSink(ctx context.Context, h *http.Header) context.Context {
	return context.WithValue(ctx, headerSinkKey{}, h)
}

// isBodyTooLarge reports whether err is a read cut at maxBodyBytes.
func isBodyTooLarge(err error) bool { return errors.Is(err, errBodyTooLarge) }
