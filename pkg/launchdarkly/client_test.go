package launchdarkly_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/ldexport/ldexport/pkg/ldfake"
)

const token = "api-0123456789abcdef-secret-token"

var clock = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// newClient returns a client of srv that records the waits it would sleep.
func newClient(t *testing.T, host string, waits *[]time.Duration) *launchdarkly.Client {
	t.Helper()
	c, err := launchdarkly.New(launchdarkly.Config{
		Host: host, Token: token, RequestTimeout: 5 * time.Second,
		MaxRateLimitWait: 10 * time.Second,
		Now:              func() time.Time { return clock },
		Sleep: func(_ context.Context, d time.Duration) error {
			if waits != nil {
				*waits = append(*waits, d)
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var spec = launchdarkly.Spec{Name: "prod", Config: launchdarkly.Kinesis{Region: "us-east-1", RoleArn: "arn:aws:iam::123456789012:role/ld-export", StreamName: "ld-events"}}

func TestCreateUpdateDelete(t *testing.T) {
	srv := ldfake.Start(t, token)
	c := newClient(t, srv.URL, nil)
	ctx := context.Background()

	d, err := c.Create(ctx, "default", "production", spec)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID == "" || d.Version != 1 || d.Project != "default" || d.Environment != "production" || d.Config != spec.Config || d.On {
		t.Fatalf("created %+v", d)
	}

	same, patch, err := c.Update(ctx, "default", "production", d.ID, spec, false)
	if err != nil || len(patch) != 0 || same.Version != 1 {
		t.Fatalf("update without change: %+v %v %v", same, patch, err)
	}

	want := spec
	want.Config.StreamName = "ld-events-2"
	want.On = true
	got, patch, err := c.Update(ctx, "default", "production", d.ID, want, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(patch) != 2 || patch[0].Path != "/config/streamName" || patch[1].Path != "/on" {
		t.Fatalf("patch = %+v, want only /config/streamName and /on", patch)
	}
	if got.Version != 2 || got.Config.StreamName != "ld-events-2" || !got.On {
		t.Fatalf("after patch %+v", got)
	}

	list, err := c.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != d.ID || list[0].Project != "default" || list[0].Environment != "production" {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if existed, err := c.Delete(ctx, "default", "production", d.ID); err != nil || !existed {
		t.Fatalf("delete: %v %v", existed, err)
	}
	if existed, err := c.Delete(ctx, "default", "production", d.ID); err != nil || existed {
		t.Fatalf("second delete: %v %v, want already gone", existed, err)
	}
	for _, r := range srv.Requests() {
		if r.Header.Get("Authorization") != token {
			t.Errorf("%s %s: Authorization %q, want the token as is", r.Method, r.Path, r.Header.Get("Authorization"))
		}
	}
}

func TestRateLimitWaitsAsTold(t *testing.T) {
	srv := ldfake.Start(t, token)
	srv.Fail(ldfake.OpList,
		ldfake.Fault{Status: 429, Header: ldfake.RateLimitReset(clock, 3*time.Second)},
		ldfake.Fault{Status: 429, Header: http.Header{"Retry-After": {"2"}}})
	var waits []time.Duration
	c := newClient(t, srv.URL, &waits)
	if _, err := c.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 2 {
		t.Fatalf("waits = %v, want 2", waits)
	}
	for i, base := range []time.Duration{3 * time.Second, 2 * time.Second} {
		if waits[i] < base || waits[i] > base+base/4 {
			t.Errorf("wait %d = %v, want %v plus at most 25%% jitter", i, waits[i], base)
		}
	}
}

func TestRateLimitBounded(t *testing.T) {
	srv := ldfake.Start(t, token)
	srv.Fail(ldfake.OpList, ldfake.Fault{Status: 429, Header: http.Header{"Retry-After": {"3600"}}})
	var waits []time.Duration
	c := newClient(t, srv.URL, &waits)
	_, err := c.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "rate_limited") || len(waits) != 0 {
		t.Fatalf("err = %v, waits = %v: want a rate_limited error without waiting an hour", err, waits)
	}

	// Endless 429s stop after MaxRateLimitRetries.
	for range 10 {
		srv.Fail(ldfake.OpList, ldfake.Fault{Status: 429, Header: http.Header{"Retry-After": {"0"}}})
	}
	waits = nil
	_, err = c.List(context.Background())
	if err == nil || len(waits) != 5 {
		t.Fatalf("err = %v after %d waits, want an error after 5", err, len(waits))
	}
}

func TestConflictRereadsAndRetriesOnce(t *testing.T) {
	srv := ldfake.Start(t, token)
	c := newClient(t, srv.URL, nil)
	ctx := context.Background()
	d, err := c.Create(ctx, "default", "production", spec)
	if err != nil {
		t.Fatal(err)
	}
	want := spec
	want.Config.Region = "eu-west-1"

	srv.Fail(ldfake.OpPatch, ldfake.Fault{Status: 409})
	got, _, err := c.Update(ctx, "default", "production", d.ID, want, false)
	if err != nil || got.Config.Region != "eu-west-1" {
		t.Fatalf("after one 409: %+v, %v", got, err)
	}
	var ops []string
	for _, r := range srv.Requests()[1:] {
		ops = append(ops, r.Method)
	}
	if strings.Join(ops, " ") != "GET PATCH GET PATCH" {
		t.Fatalf("requests %v, want GET PATCH GET PATCH (re-read, then retry)", ops)
	}

	want.Config.Region = "eu-central-1"
	srv.Fail(ldfake.OpPatch, ldfake.Fault{Status: 409}, ldfake.Fault{Status: 409})
	_, _, err = c.Update(ctx, "default", "production", d.ID, want, false)
	if err == nil || !strings.Contains(err.Error(), "optimistic_locking_error") {
		t.Fatalf("after two 409s err = %v, want LaunchDarkly's code", err)
	}
}

func TestUnauthorizedNamesThePermission(t *testing.T) {
	srv := ldfake.Start(t, "another-token")
	c := newClient(t, srv.URL, nil)
	_, err := c.Create(context.Background(), "default", "production", spec)
	if err == nil {
		t.Fatal("created with a wrong token")
	}
	msg := err.Error()
	if !strings.Contains(msg, "createDestination on proj/default:env/production") || strings.Contains(msg, "\n") {
		t.Fatalf("error %q: want one line naming createDestination", msg)
	}
	if launchdarkly.IsStatus(err, 401) == false {
		t.Fatalf("error %v is not a 401", err)
	}
}

func TestTokenRedactedFromErrors(t *testing.T) {
	// A server that echoes the Authorization header back in its message.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"code": "invalid_request", "message": "bad token " + r.Header.Get("Authorization")})
	}))
	defer echo.Close()
	c := newClient(t, echo.URL, nil)
	_, err := c.Get(context.Background(), "p", "e", "id")
	if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("error %v: want the token redacted", err)
	}

	// An unreachable host: the error says where, and nothing secret.
	echo.Close()
	_, err = c.List(context.Background())
	if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), echo.URL) {
		t.Fatalf("error %v: want the host named and no token", err)
	}
}

func TestTokenFromEnv(t *testing.T) {
	env := map[string]string{"LD_ACCESS_TOKEN": "api-bbbbbbbb"}
	get := func(k string) string { return env[k] }
	if tok, err := launchdarkly.TokenFromEnv(get); err != nil || tok != "api-bbbbbbbb" {
		t.Fatalf("LD_ACCESS_TOKEN: %q %v", tok, err)
	}
	env["LAUNCHDARKLY_ACCESS_TOKEN"] = "api-aaaaaaaa"
	if tok, _ := launchdarkly.TokenFromEnv(get); tok != "api-aaaaaaaa" {
		t.Fatalf("LAUNCHDARKLY_ACCESS_TOKEN should win, got %q", tok)
	}
	// A value too short to be a token (and to redact safely) is refused,
	// naming the variable and the length, never the value.
	env["LAUNCHDARKLY_ACCESS_TOKEN"] = "tok"
	if _, err := launchdarkly.TokenFromEnv(get); err == nil || !strings.Contains(err.Error(), "LAUNCHDARKLY_ACCESS_TOKEN is 3 characters") || strings.Contains(err.Error(), "tok ") {
		t.Fatalf("short token: %v", err)
	}
	if _, err := launchdarkly.TokenFromEnv(func(string) string { return "" }); err != launchdarkly.ErrNoToken {
		t.Fatalf("no token: %v", err)
	}
}

func TestValidateHost(t *testing.T) {
	for host, ok := range map[string]bool{
		launchdarkly.DefaultHost: true, launchdarkly.FederalHost: true, "http://127.0.0.1:8080/": true,
		"app.launchdarkly.com": false, "ftp://x": false, "https://u:p@x": false, "https://x/api/v2": false,
		"http://app.launchdarkly.com": false, "http://localhost:1234": true, "http://[::1]:8080": true,
	} {
		if err := launchdarkly.ValidateHost(host); (err == nil) != ok {
			t.Errorf("ValidateHost(%q) = %v", host, err)
		}
	}
}

func TestGenerateTrustPolicy(t *testing.T) {
	srv := ldfake.Start(t, token)
	c := newClient(t, srv.URL, nil)
	tp, err := c.GenerateTrustPolicy(context.Background(), "default", "production")
	if err != nil {
		t.Fatal(err)
	}
	if tp.Statement == nil || len(*tp.Statement) != 1 || tp.Version == nil || *tp.Version != "2012-10-17" {
		t.Fatalf("trust policy %+v", tp)
	}
}

func TestEveryRequestHasADeadline(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	c, err := launchdarkly.New(launchdarkly.Config{Host: slow.URL, Token: token, RequestTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no answer within") || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v: want a timeout error after about 100ms", err, time.Since(start))
	}
}

func TestRateLimitWaitOfExactlyTheBoundIsTaken(t *testing.T) {
	srv := ldfake.Start(t, token)
	srv.Fail(ldfake.OpList, ldfake.Fault{Status: 429, Header: http.Header{"Retry-After": {"10"}}})
	var waits []time.Duration
	c := newClient(t, srv.URL, &waits) // MaxRateLimitWait 10s
	if _, err := c.List(context.Background()); err != nil || len(waits) != 1 || waits[0] < 10*time.Second {
		t.Fatalf("err %v, waits %v: want one wait of at least 10s", err, waits)
	}
}

// TestHostileHostNeverEchoesPassword: a host with user info, or one that is
// not even a URL because of its password, is refused without the password.
func TestHostileHostNeverEchoesPassword(t *testing.T) {
	for host, want := range map[string]string{
		"https://user:secret@app.launchdarkly.com":    `"https://app.launchdarkly.com": it carries a user name or password`,
		"https://secret@app.launchdarkly.com":         "it carries a user name or password",
		"https://user:secret%zz@app.launchdarkly.com": "not a URL",
		"https://user:secret@app.launchdarkly.com/x?": "it carries a user name or password",
	} {
		err := launchdarkly.ValidateHost(host)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("ValidateHost(%q) = %v, want %q and no password", host, err, want)
		}
	}
}

// TestHostileTruncatedBodyNeverLeaksPartOfTheToken: a non-JSON error page is
// cut to 200 bytes; the cut must not fall inside the token and so leave a
// prefix of it that redaction no longer recognises.
func TestHostileTruncatedBodyNeverLeaksPartOfTheToken(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(strings.Repeat("x", 190) + " " + r.Header.Get("Authorization") + " </html>"))
	}))
	defer html.Close()
	c := newClient(t, html.URL, nil)
	_, err := c.List(context.Background())
	if err == nil || strings.Contains(err.Error(), token[:8]) {
		t.Fatalf("error %v: leaks a prefix of the token", err)
	}
}

// TestHostileHugeRetryAfterIsNotZero: a Retry-After too big for a
// time.Duration ("1e10", "Inf") overflowed to a negative wait, taken as
// "retry at once", hammering LaunchDarkly; it is a wait beyond the bound.
func TestHostileHugeRetryAfterIsNotZero(t *testing.T) {
	for _, ra := range []string{"1e10", "1e300", "Inf"} {
		srv := ldfake.Start(t, token)
		srv.Fail(ldfake.OpList, ldfake.Fault{Status: 429, Header: http.Header{"Retry-After": {ra}}})
		var waits []time.Duration
		c := newClient(t, srv.URL, &waits)
		_, err := c.List(context.Background())
		if err == nil || !strings.Contains(err.Error(), "longer than") || len(waits) != 0 {
			t.Errorf("Retry-After %s: err = %v, waits = %v: want a rate_limited error without retrying", ra, err, waits)
		}
	}
}

// TestHostileTokenWithControlCharacter: a token with a newline inside (a
// pasted two-line value) cannot be sent as a header; it is bad input that
// names the variable, not a network error telling to check the host.
func TestHostileTokenWithControlCharacter(t *testing.T) {
	_, err := launchdarkly.TokenFromEnv(func(k string) string {
		if k == "LAUNCHDARKLY_ACCESS_TOKEN" {
			return "api-abc\nsecret-def"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "LAUNCHDARKLY_ACCESS_TOKEN") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("err = %v: want an error naming LAUNCHDARKLY_ACCESS_TOKEN, without the token", err)
	}
}

// TestHostileCreateAnswerWithoutUsableID: a 201 whose _id is missing or not
// an ID (a path, a line break) was taken as success: the store recorded an
// empty or multi-line launchDarklyId and the success line spanned two lines.
func TestHostileCreateAnswerWithoutUsableID(t *testing.T) {
	for _, body := range []string{`{"name":"prod","kind":"kinesis"}`, `{"_id":"../../x\nevil","_version":1}`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(body))
		}))
		c := newClient(t, srv.URL, nil)
		d, err := c.Create(context.Background(), "default", "production", spec)
		srv.Close()
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("answer %s: got %+v, err %v; want a one-line error", body, d, err)
		}
	}
}

// TestHostileRedirectNeverCarriesTheToken: Go's client forwards the
// Authorization header on a redirect to the same host name, even from https
// to plain http on another port, so a redirect would send the token in clear
// text past ValidateHost's https rule. Redirects are not followed.
func TestHostileRedirectNeverCarriesTheToken(t *testing.T) {
	got := make(chan string, 1)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Authorization")
	}))
	defer plain.Close()
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer tls.Close()
	c, err := launchdarkly.New(launchdarkly.Config{Host: tls.URL, Token: token, HTTPClient: tls.Client()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.List(context.Background())
	select {
	case a := <-got:
		t.Fatalf("the redirect was followed; plain http got Authorization %q", a)
	default:
	}
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v: want a one-line error about the redirect", err)
	}
}

// TestHostileHostPortOutOfRange: a port beyond 65535 (or 0) is a bad host
// (exit 2), not a network failure at run time.
func TestHostileHostPortOutOfRange(t *testing.T) {
	for _, host := range []string{"http://127.0.0.1:99999", "http://127.0.0.1:0", "https://app.launchdarkly.com:65536"} {
		if err := launchdarkly.ValidateHost(host); err == nil {
			t.Errorf("ValidateHost(%q) accepted it", host)
		}
	}
	if err := launchdarkly.ValidateHost("https://app.launchdarkly.com:443"); err != nil {
		t.Errorf("port 443: %v", err)
	}
}

// TestHostileTruncatedBodyStaysUTF8: the 200-byte cut of a non-JSON error
// body fell inside a multi-byte character and printed invalid UTF-8.
func TestHostileTruncatedBodyStaysUTF8(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(strings.Repeat("x", 199) + strings.Repeat("é", 20)))
	}))
	defer srv.Close()
	_, err := newClient(t, srv.URL, nil).List(context.Background())
	if err == nil || !utf8.ValidString(err.Error()) {
		t.Fatalf("error %q: want valid UTF-8", err)
	}
}

// TestHostileStoredIDNeverLeavesTheDestinationPath: a hand-edited
// launchDarklyId such as ".." was sent as a path segment, which URL
// resolution turns into another API path (DELETE /api/v2/destinations/P/).
func TestHostileStoredIDNeverLeavesTheDestinationPath(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.Method+" "+r.URL.Path)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, nil)
	for _, id := range []string{"..", ".", "", "a/../../b"} {
		if _, err := c.Delete(context.Background(), "default", "production", id); err == nil {
			t.Errorf("Delete(id %q) succeeded", id)
		}
		if _, err := c.Get(context.Background(), "default", "production", id); err == nil {
			t.Errorf("Get(id %q) succeeded", id)
		}
	}
	if len(paths) != 0 {
		t.Fatalf("requests sent: %v", paths)
	}
}

// TestHostileEndlessBodyIsCut: an answer is read to 4 MiB at most; a longer
// one (a broken proxy, a hostile host) is an error that names the limit, not
// memory filled without end. An answer under the limit is read whole.
func TestHostileEndlessBodyIsCut(t *testing.T) {
	var served atomic.Int64
	endless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"items":[],"pad":"`)
		chunk := []byte(strings.Repeat("x", 64<<10))
		for served.Load() < 256<<20 { // stops when the client hangs up
			n, err := w.Write(chunk)
			served.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer endless.Close()
	_, err := newClient(t, endless.URL, nil).List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "larger than 4 MiB") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %v: want one line naming the 4 MiB limit", err)
	}
	if n := served.Load(); n >= 256<<20 {
		t.Errorf("the server wrote all its %d bytes: the client read on", n)
	}

	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"items":[],"pad":"`+strings.Repeat("x", 3<<20)+`"}`)
	}))
	defer big.Close()
	if _, err := newClient(t, big.URL, nil).List(context.Background()); err != nil {
		t.Fatalf("a 3 MiB answer: %v", err)
	}
}

// TestShortTokenIsRedactedOnlyAsAWord: a token too short to be secret-like
// (no LaunchDarkly token is) replaced wherever it stands would garble the
// message ("d[redacted]stination"); it is redacted only as a whole word. A
// long token is redacted wherever it stands, inside a word too.
func TestShortTokenIsRedactedOnlyAsAWord(t *testing.T) {
	tests := []struct {
		token, message, want string
	}{
		{"e", "the destination was not found", "the destination was not found"},
		{"api", "bad token api in this rapid api-key request", "bad token [redacted] in this rapid api-key request"},
		{"abc", "abc", "[redacted]"},
		{token, "seen x" + token + "y", "seen x[redacted]y"},
	}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]string{"code": "not_found", "message": tt.message})
		}))
		c, err := launchdarkly.New(launchdarkly.Config{Host: srv.URL, Token: tt.token})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.List(context.Background())
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), ": "+tt.want+" (HTTP 404)") {
			t.Errorf("token %q, message %q: error %v, want the message %q", tt.token, tt.message, err, tt.want)
		}
	}
}
