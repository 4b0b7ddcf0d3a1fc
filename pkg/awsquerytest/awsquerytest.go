// Package awsquerytest serves fake AWS query-protocol APIs (STS, IAM) for
// tests, in the spirit of net/http/httptest: a request is a form POST with
// Action=...; the answer is the operation's documented XML, or an
// <ErrorResponse> with an HTTP error status.
package awsquerytest

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Handler answers one action: an HTTP status and an XML body.
type Handler func(form url.Values) (status int, body string)

// Server is a running fake; Calls records the actions it was asked for.
type Server struct {
	*httptest.Server
	mu    sync.Mutex
	calls []url.Values
}

// NewServer starts a fake answering the given actions, closed when t ends.
// An action without a handler is answered as IAM/STS answer an unknown
// action: 400 InvalidAction.
func NewServer(t testing.TB, actions map[string]Handler) *Server {
	t.Helper()
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.calls = append(s.calls, r.PostForm)
		s.mu.Unlock()
		action := r.PostForm.Get("Action")
		h, ok := actions[action]
		if !ok {
			h = func(url.Values) (int, string) {
				return Error(http.StatusBadRequest, "InvalidAction", "no fake for action "+action)
			}
		}
		status, body := h(r.PostForm)
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		_, _ = fmt.Fprint(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

// Calls returns the forms of the requests received so far.
func (s *Server) Calls() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.calls...)
}

// Error returns a query-protocol error answer: status and
// <ErrorResponse><Error><Type>Sender</Type><Code>code</Code><Message>...</Message></Error>...
func Error(status int, code, message string) (int, string) {
	return status, fmt.Sprintf(`<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fake-request</RequestId></ErrorResponse>`, code, xmlEscape(message))
}

// AccessDenied is the 403 IAM and STS answer to a caller without permission.
func AccessDenied(message string) Handler {
	return func(url.Values) (int, string) { return Error(http.StatusForbidden, "AccessDenied", message) }
}

// OK answers 200 with a fixed body.
func OK(body string) Handler {
	return func(url.Values) (int, string) { return http.StatusOK, body }
}

// xmlEscape escapes text for an XML element.
func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return b.String()
}
