package cmdutil

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/ldexport/ldexport/pkg/awserr"
)

// Timeouts bound each attempt of every AWS call, so an endpoint that
// accepts the connection and never answers cannot hang a command. A
// command's own deadline (--timeout, --retry-timeout) bounds the whole call,
// retries included.
type Timeouts struct {
	Dial           time.Duration // opening the TCP connection
	TLSHandshake   time.Duration
	ResponseHeader time.Duration // from the request's last byte to the answer's headers
	Attempt        time.Duration // one attempt as a whole: connect, send, wait, read the answer
}

// DefaultTimeouts are the limits every AWS client gets (docs/errors-and-timeouts.md).
var DefaultTimeouts = Timeouts{
	Dial:           10 * time.Second,
	TLSHandshake:   10 * time.Second,
	ResponseHeader: 30 * time.Second,
	Attempt:        60 * time.Second,
}

// HTTPClient returns the SDK's HTTP client with the dial, TLS handshake and
// response header limits.
func (t Timeouts) HTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = t.Dial }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = t.TLSHandshake
			tr.ResponseHeaderTimeout = t.ResponseHeader
		})
}

// APIOption adds the per-attempt limit to a client's middleware stack,
// right after the retry loop so that each attempt has its own deadline.
func (t Timeouts) APIOption() func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		mw := attemptTimeout{t}
		if err := s.Finalize.Insert(mw, "Retry", middleware.After); err != nil {
			return s.Finalize.Add(mw, middleware.After)
		}
		return nil
	}
}

type attemptTimeout struct{ t Timeouts }

func (attemptTimeout) ID() string { return "ldexportAttemptTimeout" }

func (m attemptTimeout) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	actx, cancel := awserr.WithDeadline(ctx, m.t.Attempt, "per-attempt limit")
	defer cancel()
	out, md, err := next.HandleFinalize(actx, in)
	if err == nil {
		return out, md, nil
	}
	if ctx.Err() == nil {
		if dl := m.t.which(actx, err); dl != nil {
			err = &attemptError{dl: dl, err: err}
		}
	}
	// A deadline or an interrupt hides the request's URL (net/http's
	// url.Error is replaced by the context's error): keep it for the message.
	var ue *url.Error
	if req, ok := in.Request.(*smithyhttp.Request); ok && req.URL != nil && req.URL.Host != "" && !errors.As(err, &ue) && awserr.Code(err) == "" {
		err = &url.Error{Op: req.Method, URL: req.URL.Scheme + "://" + req.URL.Host, Err: err}
	}
	return out, md, err
}

// which names the limit an attempt ran into, or nil if it did not time out.
func (t Timeouts) which(actx context.Context, err error) *awserr.Deadline {
	var dl *awserr.Deadline
	if errors.As(context.Cause(actx), &dl) {
		return dl
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		return nil
	}
	msg := err.Error()
	var oe *net.OpError
	switch {
	case strings.Contains(msg, "awaiting response headers"):
		return &awserr.Deadline{Name: "response header limit", After: t.ResponseHeader}
	case strings.Contains(msg, "TLS handshake timeout"):
		return &awserr.Deadline{Name: "TLS handshake limit", After: t.TLSHandshake}
	case errors.As(err, &oe) && oe.Op == "dial":
		return &awserr.Deadline{Name: "connect limit", After: t.Dial}
	}
	return nil
}

// attemptError is an attempt's error with the limit it ran into; the SDK's
// retryer still sees the transport error inside.
type attemptError struct {
	dl  *awserr.Deadline
	err error
}

func (e *attemptError) Error() string   { return e.dl.Error() + ": " + e.err.Error() }
func (e *attemptError) Unwrap() []error { return []error{e.dl, e.err} }
