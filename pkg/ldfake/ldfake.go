// Package ldfake is a fake LaunchDarkly REST API for tests, in the spirit of
// net/http/httptest: it keeps Data Export destinations in memory, versions
// them as LaunchDarkly does, and checks every request it receives and every
// response it sends against the same OpenAPI document the client is
// generated from (kin-openapi's openapi3filter). Anything off the spec is
// recorded as a violation; tests fail on any. Faults (429, 409, 401, ...) can
// be queued per operation.
package ldfake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	spec "github.com/ldexport/ldexport/api/launchdarkly"
)

// Operation IDs of the spec, used to aim faults.
const (
	OpList        = "getDestinations"
	OpGet         = "getDestination"
	OpCreate      = "postDestination"
	OpPatch       = "patchDestination"
	OpDelete      = "deleteDestination"
	OpTrustPolicy = "postGenerateTrustPolicy"
)

// APIVersion is the LD-API-Version every request must carry.
const APIVersion = "20240415"

// Destination is one stored destination.
type Destination struct {
	ID          string
	Project     string
	Environment string
	Name        string
	Kind        string
	Config      map[string]any
	On          bool
	Version     int
}

// Fault is an error answer queued for the next call of one operation.
type Fault struct {
	Status int
	// Header is added to the answer (e.g. Retry-After, X-Ratelimit-Reset).
	Header http.Header
}

// Request is one request the server received.
type Request struct {
	Method, Path, OperationID string
	Header                    http.Header
	Body                      string
	Status                    int
}

// Server is a running fake LaunchDarkly.
type Server struct {
	URL   string
	Token string

	srv    *httptest.Server
	router routers.Router

	mu         sync.Mutex
	dests      map[string]*Destination
	nextID     int
	faults     map[string][]Fault
	requests   []Request
	violations []string
}

// New starts a fake LaunchDarkly on 127.0.0.1 that accepts only token.
func New(token string) (*Server, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("ldfake: loading the spec: %w", err)
	}
	s := &Server{Token: token, dests: map[string]*Destination{}, faults: map[string][]Fault{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	// Route by path only: the spec's servers are LaunchDarkly's hosts.
	doc.Servers = nil
	// LaunchDarkly's own document has examples its schemas reject (null in
	// string arrays); examples are documentation, not the contract.
	if s.router, err = legacy.NewRouter(doc, openapi3.DisableExamplesValidation()); err != nil {
		s.srv.Close()
		return nil, fmt.Errorf("ldfake: routing the spec: %w", err)
	}
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Fail queues faults for the next calls of the operation op (one per call).
func (s *Server) Fail(op string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[op] = append(s.faults[op], faults...)
}

// Put stores a destination as if created in LaunchDarkly's UI and returns it
// with its ID and version 1.
func (s *Server) Put(d Destination) Destination {
	s.mu.Lock()
	defer s.mu.Unlock()
	d.ID = s.newID()
	d.Version = 1
	cp := d
	s.dests[d.ID] = &cp
	return d
}

// Destinations returns the stored destinations, sorted by ID.
func (s *Server) Destinations() []Destination {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Destination
	for _, d := range s.dests {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Requests returns every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Violations returns every way a request or response was off the spec (or
// lacked the LD-API-Version header).
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

func (s *Server) violate(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

func (s *Server) newID() string {
	s.nextID++
	return fmt.Sprintf("610addeadbeef%011x", s.nextID)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: string(body)}

	route, params, err := s.router.FindRoute(r)
	if err != nil {
		s.violate("%s %s: no such operation in the spec: %v", r.Method, r.URL.Path, err)
		rec.Status = http.StatusNotFound
		s.record(rec)
		writeJSON(w, http.StatusNotFound, errorRep("not_found", "no such operation"))
		return
	}
	rec.OperationID = route.Operation.OperationID
	in := &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{
			MultiError:                        true,
			RejectWhenRequestBodyNotSpecified: true,
			AuthenticationFunc:                func(context.Context, *openapi3filter.AuthenticationInput) error { return nil },
		},
	}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		s.violate("%s %s: request off the spec: %v", r.Method, r.URL.Path, oneLine(err))
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if v := r.Header.Get("LD-API-Version"); v != APIVersion {
		s.violate("%s %s: LD-API-Version is %q, want %s", r.Method, r.URL.Path, v, APIVersion)
	}

	resp := httptest.NewRecorder()
	s.handle(resp, r, route.Operation.OperationID, params, body)
	rec.Status = resp.Code

	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.Code,
		Header:                 resp.Header(),
		Body:                   io.NopCloser(bytes.NewReader(resp.Body.Bytes())),
		Options:                &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
		s.violate("%s %s: response %d off the spec: %v", r.Method, r.URL.Path, resp.Code, oneLine(err))
	}
	s.record(rec)
	for k, v := range resp.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.Code)
	_, _ = w.Write(resp.Body.Bytes())
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, op string, params map[string]string, body []byte) {
	if r.Header.Get("Authorization") != s.Token {
		writeJSON(w, http.StatusUnauthorized, errorRep("unauthorized", "Invalid access token"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.faults[op]; len(q) > 0 {
		f := q[0]
		s.faults[op] = q[1:]
		for k, v := range f.Header {
			w.Header()[k] = v
		}
		writeJSON(w, f.Status, errorRep(faultCode(f.Status), http.StatusText(f.Status)))
		return
	}
	project, env, id := params["projectKey"], params["environmentKey"], params["id"]
	switch op {
	case OpList:
		items := []any{}
		ids := make([]string, 0, len(s.dests))
		for id := range s.dests {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			items = append(items, rep(s.dests[id]))
		}
		writeJSON(w, http.StatusOK, map[string]any{"_links": map[string]any{"self": link("/api/v2/destinations")}, "items": items})
	case OpCreate:
		var post struct {
			Name   string         `json:"name"`
			Kind   string         `json:"kind"`
			Config map[string]any `json:"config"`
			On     bool           `json:"on"`
		}
		if err := json.Unmarshal(body, &post); err != nil || post.Kind == "" {
			writeJSON(w, http.StatusBadRequest, errorRep("invalid_request", "kind and config are required"))
			return
		}
		if msg := checkKinesis(post.Kind, post.Config); msg != "" {
			writeJSON(w, http.StatusBadRequest, errorRep("invalid_request", msg))
			return
		}
		d := &Destination{ID: s.newID(), Project: project, Environment: env, Name: post.Name, Kind: post.Kind, Config: post.Config, On: post.On, Version: 1}
		s.dests[d.ID] = d
		writeJSON(w, http.StatusCreated, rep(d))
	case OpGet, OpPatch, OpDelete:
		d := s.dests[id]
		if d == nil || d.Project != project || d.Environment != env {
			writeJSON(w, http.StatusNotFound, errorRep("not_found", "Invalid resource identifier"))
			return
		}
		switch op {
		case OpGet:
			writeJSON(w, http.StatusOK, rep(d))
		case OpDelete:
			delete(s.dests, id)
			w.WriteHeader(http.StatusNoContent)
		case OpPatch:
			if msg := applyPatch(d, body); msg != "" {
				writeJSON(w, http.StatusBadRequest, errorRep("invalid_request", msg))
				return
			}
			d.Version++
			writeJSON(w, http.StatusOK, rep(d))
		}
	case OpTrustPolicy:
		writeJSON(w, http.StatusCreated, map[string]any{"awsTrustPolicy": map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Effect":    "Allow",
				"Principal": map[string]any{"AWS": "arn:aws:iam::554582317989:role/LaunchDarkly-data-export"},
				"Action":    []string{"sts:AssumeRole"},
				"Condition": map[string]any{"StringEquals": map[string]any{"sts:ExternalId": externalID(params["projKey"], params["envKey"])}},
			}},
		}})
	default:
		writeJSON(w, http.StatusNotFound, errorRep("not_found", "unknown operation"))
	}
}

// externalID is the fake's stand-in for the external ID LaunchDarkly puts in
// its generated trust policies: fixed per project environment.
func externalID(project, env string) string {
	return "ld-" + project + "-" + env
}

// ExternalID is the sts:ExternalId the fake's generated trust policy demands.
func ExternalID(project, env string) string { return externalID(project, env) }

func checkKinesis(kind string, cfg map[string]any) string {
	if kind != "kinesis" {
		return ""
	}
	for _, k := range []string{"region", "roleArn", "streamName"} {
		if v, _ := cfg[k].(string); v == "" {
			return "config." + k + " is required for kind kinesis"
		}
	}
	for k := range cfg {
		if k != "region" && k != "roleArn" && k != "streamName" {
			return "config." + k + " is not a kinesis field"
		}
	}
	return ""
}

// applyPatch applies a JSON Patch of replace/add operations on name, on and
// config fields; it returns what is wrong with it, or "".
func applyPatch(d *Destination, body []byte) string {
	var ops []struct {
		Op    string          `json:"op"`
		Path  string          `json:"path"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(body, &ops); err != nil {
		return "invalid JSON Patch: " + err.Error()
	}
	next := *d
	next.Config = map[string]any{}
	for k, v := range d.Config {
		next.Config[k] = v
	}
	for _, op := range ops {
		if op.Op != "replace" && op.Op != "add" {
			return "unsupported op " + op.Op
		}
		switch {
		case op.Path == "/name":
			if json.Unmarshal(op.Value, &next.Name) != nil {
				return "/name must be a string"
			}
		case op.Path == "/on":
			if json.Unmarshal(op.Value, &next.On) != nil {
				return "/on must be a boolean"
			}
		case strings.HasPrefix(op.Path, "/config/"):
			var v string
			if json.Unmarshal(op.Value, &v) != nil {
				return op.Path + " must be a string"
			}
			next.Config[strings.TrimPrefix(op.Path, "/config/")] = v
		default:
			return "cannot patch " + op.Path
		}
	}
	if msg := checkKinesis(next.Kind, next.Config); msg != "" {
		return msg
	}
	*d = next
	return ""
}

func rep(d *Destination) map[string]any {
	self := "/api/v2/destinations/" + url.PathEscape(d.Project) + "/" + url.PathEscape(d.Environment) + "/" + d.ID
	return map[string]any{
		"_id":     d.ID,
		"_links":  map[string]any{"self": link(self), "parent": link("/api/v2/destinations")},
		"name":    d.Name,
		"kind":    d.Kind,
		"version": d.Version,
		"config":  d.Config,
		"on":      d.On,
		"_access": map[string]any{"allowed": []any{}, "denied": []any{}},
	}
}

func link(href string) map[string]any {
	return map[string]any{"href": href, "type": "application/json"}
}

func errorRep(code, message string) map[string]any {
	return map[string]any{"code": code, "message": message}
}

func faultCode(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusConflict:
		return "optimistic_locking_error"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusBadRequest:
		return "invalid_request"
	}
	return "error_" + strconv.Itoa(status)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// RateLimitReset is a 429 fault header asking to wait until now+d (epoch
// milliseconds, as LaunchDarkly sends).
func RateLimitReset(now time.Time, d time.Duration) http.Header {
	return http.Header{"X-Ratelimit-Reset": {strconv.FormatInt(now.Add(d).UnixMilli(), 10)}}
}

// Start starts a fake for a test: it is closed when the test ends, and the
// test fails if any request or response was off the spec.
func Start(t testing.TB, token string) *Server {
	t.Helper()
	s, err := New(token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		for _, v := range s.Violations() {
			t.Errorf("ldfake: %s", v)
		}
	})
	return s
}
