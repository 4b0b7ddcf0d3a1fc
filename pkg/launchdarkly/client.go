// Package launchdarkly talks to LaunchDarkly's REST API about Data Export
// destinations. It wraps the client generated from the spec (package ldapi)
// with what every call needs: the access token in the Authorization header
// (as is, no "Bearer"), the LD-API-Version header, a deadline per request,
// bounded waits on 429, answers read to 4 MiB at most, and errors that fit
// on one line and never contain the token.
package launchdarkly

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ldexport/ldexport/pkg/ctxtime"
	"github.com/ldexport/ldexport/pkg/ldapi"
	"github.com/ldexport/ldexport/pkg/quote"
)

// apiVersion is the LD-API-Version header every request carries.
const apiVersion = "20240415"

// DefaultHost is LaunchDarkly's commercial instance; FederalHost is the
// separate Federal one.
const (
	DefaultHost = "https://app.launchdarkly.com"
	FederalHost = "https://app.launchdarkly.us"
)

// Environment variables the token is read from, in order (the first is
// Terraform's name).
var tokenEnv = []string{"LAUNCHDARKLY_ACCESS_TOKEN", "LD_ACCESS_TOKEN"}

// ErrNoToken is returned when neither token variable is set.
var ErrNoToken = errors.New("no LaunchDarkly access token: set LAUNCHDARKLY_ACCESS_TOKEN (or LD_ACCESS_TOKEN) to an API access token with the Writer role or destination permissions")

// MinTokenLen is the shortest value TokenFromEnv takes: LaunchDarkly's
// access tokens are much longer (api- and a UUID), and a short value could
// not be redacted from messages without garbling them.
const MinTokenLen = 8

// TokenFromEnv returns the first non-empty token variable, read with getenv.
func TokenFromEnv(getenv func(string) string) (string, error) {
	for _, k := range tokenEnv {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				// Not sendable as a header; the value itself is never shown.
				return "", fmt.Errorf("%s holds a control character (such as a line break) that no access token has: set it to the token alone", k)
			}
			if len(v) < MinTokenLen {
				// Too short to be a token, and too short to redact safely
				// from messages that may quote it.
				return "", fmt.Errorf("%s is %d characters, too short for a LaunchDarkly access token (api-… and 36 more): set it to the whole token", k, len(v))
			}
			return v, nil
		}
	}
	return "", ErrNoToken
}

// Config says how a Client reaches LaunchDarkly.
type Config struct {
	// Host is the API's base URL, such as DefaultHost.
	Host string
	// Token is the access token; it is sent only to Host and never printed.
	Token string
	// HTTPClient is the transport (nil: a default one).
	HTTPClient *http.Client
	// RequestTimeout bounds each request (0: 30s).
	RequestTimeout time.Duration
	// MaxRateLimitWait bounds one wait after a 429 (0: 60s); a longer wait
	// asked for by LaunchDarkly is an error instead.
	MaxRateLimitWait time.Duration
	// MaxRateLimitRetries bounds how many 429s one call absorbs (0: 5).
	MaxRateLimitRetries int
	// Sleep waits d or until ctx ends (nil: a timer). Tests record waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock X-Ratelimit-Reset is compared to (nil: time.Now).
	Now func() time.Time
	// UserAgent is sent as User-Agent.
	UserAgent string
}

// Client calls LaunchDarkly's destination API.
type Client struct {
	cfg Config
	api *ldapi.ClientWithResponses
}

// ValidateHost checks that host is an absolute http(s) URL without a path
// beyond "/", credentials, query or fragment. The error never repeats a user
// name or password the URL carried.
func ValidateHost(host string) error {
	u, err := url.Parse(host)
	if err != nil {
		// url.Parse's error and the input may carry a password: show neither.
		return fmt.Errorf("invalid LaunchDarkly API host: not a URL; want a URL such as %s", DefaultHost)
	}
	if u.User != nil {
		u.User = nil
		return fmt.Errorf("invalid LaunchDarkly API host %s: it carries a user name or password; remove them (the access token comes from LAUNCHDARKLY_ACCESS_TOKEN)", quote.Input(u.String()))
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("invalid LaunchDarkly API host %s: want a URL such as %s", quote.Input(host), DefaultHost)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("invalid LaunchDarkly API host %s: port %s is not 1 to 65535", quote.Input(host), p)
		}
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "" {
		return fmt.Errorf("invalid LaunchDarkly API host %s: want only scheme and host, such as %s", quote.Input(host), DefaultHost)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		// The token would cross the network in clear text.
		return fmt.Errorf("invalid LaunchDarkly API host %s: use https (plain http only for a local test server on 127.0.0.1)", quote.Input(host))
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Host == "" {
		cfg.Host = DefaultHost
	}
	if err := ValidateHost(cfg.Host); err != nil {
		return nil, err
	}
	cfg.Host = strings.TrimRight(cfg.Host, "/")
	if cfg.Token == "" {
		return nil, ErrNoToken
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.MaxRateLimitWait <= 0 {
		cfg.MaxRateLimitWait = time.Minute
	}
	if cfg.MaxRateLimitRetries <= 0 {
		cfg.MaxRateLimitRetries = 5
	}
	if cfg.Sleep == nil {
		cfg.Sleep = ctxtime.Sleep
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	hc := cfg.HTTPClient
	if hc == nil {
		// The per-request context deadline is the real bound; this one also
		// covers reading the body.
		hc = &http.Client{Timeout: cfg.RequestTimeout + 5*time.Second}
	}
	// LaunchDarkly's API does not redirect; following one could carry the
	// token elsewhere, even to plain http (Go keeps Authorization for the
	// same host name).
	noRedirect := *hc
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	noRedirect.Transport = transport{base: base}
	noRedirect.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		return fmt.Errorf("LaunchDarkly answered with a redirect to %s, not followed (the token goes only to the API host)", req.URL.Redacted())
	}
	hc = &noRedirect
	c := &Client{cfg: cfg}
	api, err := ldapi.NewClientWithResponses(cfg.Host,
		ldapi.WithHTTPClient(hc),
		ldapi.WithRequestEditorFn(c.authorize))
	if err != nil {
		return nil, c.redact(err)
	}
	c.api = api
	return c, nil
}

// Host is the API base URL the client talks to.
func (c *Client) Host() string { return c.cfg.Host }

func (c *Client) authorize(_ context.Context, req *http.Request) error {
	req.Header.Set("Authorization", c.cfg.Token)
	req.Header.Set("LD-API-Version", apiVersion)
	if c.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	return nil
}

// redact removes the token from any error text (see redactToken).
func (c *Client) redact(err error) error {
	if err == nil {
		return nil
	}
	msg := redactToken(err.Error(), c.cfg.Token)
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

// Unwrap keeps errors.Is(ctx errors) working; the wrapped text is never printed.
func (e *redactedError) Unwrap() error { return e.err }

// response is what every generated *Response type has.
type response interface {
	StatusCode() int
	GetBody() []byte
}

// do runs one API call with a deadline per attempt, waiting out 429s as the
// response's Retry-After or X-Ratelimit-Reset says (bounded in count and
// length). op names the call in errors; perm is the custom-role action a 401
// or 403 lacks.
func do[R response](ctx context.Context, c *Client, op, perm string, call func(context.Context) (R, error)) (R, error) {
	var zero R
	for attempt := 0; ; attempt++ {
		var header http.Header
		rctx, cancel := context.WithTimeout(withHeaderSink(ctx, &header), c.cfg.RequestTimeout)
		r, err := call(rctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return zero, ctx.Err()
			}
			if errors.Is(err, context.DeadlineExceeded) {
				return zero, c.redact(fmt.Errorf("LaunchDarkly %s at %s: no answer within %s", op, c.cfg.Host, c.cfg.RequestTimeout))
			}
			if isBodyTooLarge(err) {
				return zero, c.redact(fmt.Errorf("LaunchDarkly %s at %s: %w", op, c.cfg.Host, err))
			}
			// The URL is said once, as the host; the rest is what went wrong.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return zero, c.redact(fmt.Errorf("LaunchDarkly %s at %s: %w; fix: check the host (--ld-api-host, LAUNCHDARKLY_API_HOST) and the network", op, c.cfg.Host, err))
		}
		status := r.StatusCode()
		if status != http.StatusTooManyRequests {
			if status >= 300 {
				return zero, c.apiError(op, perm, status, r.GetBody())
			}
			return r, nil
		}
		wait := c.rateLimitWait(header)
		if attempt >= c.cfg.MaxRateLimitRetries {
			return zero, &APIError{Op: op, Status: status, Code: "rate_limited", Message: fmt.Sprintf("still rate limited after %d retries; try again later", attempt)}
		}
		if wait > c.cfg.MaxRateLimitWait {
			return zero, &APIError{Op: op, Status: status, Code: "rate_limited", Message: fmt.Sprintf("LaunchDarkly asks to wait %s, longer than %s; try again later", wait.Round(time.Second), c.cfg.MaxRateLimitWait)}
		}
		// Jitter spreads parallel callers out; it is added after the bound
		// so a wait of exactly the bound is still taken.
		wait += time.Duration(rand.Int64N(int64(wait/4) + 1))
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return zero, err
		}
	}
}

// rateLimitWait is how long a 429 asks to wait: Retry-After seconds (IP
// limits), else until X-Ratelimit-Reset (epoch milliseconds), else 1s.
func (c *Client) rateLimitWait(h http.Header) time.Duration {
	wait := time.Second
	if s := h.Get("Retry-After"); s != "" {
		if n, err := strconv.ParseFloat(s, 64); err == nil && n >= 0 {
			if n*float64(time.Second) >= float64(math.MaxInt64) {
				// Too long for a Duration (it would overflow to negative).
				return time.Duration(math.MaxInt64)
			}
			wait = time.Duration(n * float64(time.Second))
		} else if t, err := http.ParseTime(s); err == nil {
			wait = t.Sub(c.cfg.Now())
		}
	} else if s := h.Get("X-Ratelimit-Reset"); s != "" {
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			wait = time.UnixMilli(ms).Sub(c.cfg.Now())
		}
	}
	if wait < 0 {
		wait = 0
	}
	return wait
}
