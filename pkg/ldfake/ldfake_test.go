package ldfake

import (
	"net/http"
	"strings"
	"testing"
)

func do(t *testing.T, s *Server, method, path, body string, header map[string]string) int {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestOffSpecRequestsAreViolations(t *testing.T) {
	s, err := New("tok")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	good := map[string]string{"Authorization": "tok", "LD-API-Version": APIVersion}
	if code := do(t, s, "POST", "/api/v2/destinations/p/e", `{"name":"n","kind":"kinesis","config":{"region":"us-east-1","roleArn":"arn:aws:iam::123456789012:role/r","streamName":"s"},"on":false}`, good); code != 201 {
		t.Fatalf("valid create: %d", code)
	}
	if v := s.Violations(); len(v) != 0 {
		t.Fatalf("valid create gave violations %v", v)
	}
	cases := []struct {
		name, method, path, body string
		header                   map[string]string
		want                     string
	}{
		{"kind off the enum", "POST", "/api/v2/destinations/p/e", `{"kind":"carrier-pigeon","config":{}}`, good, "request off the spec"},
		{"patch not an array", "PATCH", "/api/v2/destinations/p/e/x", `{"op":"replace"}`, good, "request off the spec"},
		{"no API version", "GET", "/api/v2/destinations", "", map[string]string{"Authorization": "tok"}, "LD-API-Version"},
		{"unknown path", "GET", "/api/v2/flags", "", good, "no such operation"},
	}
	for _, c := range cases {
		before := len(s.Violations())
		do(t, s, c.method, c.path, c.body, c.header)
		v := s.Violations()
		if len(v) == before || !strings.Contains(strings.Join(v[before:], "\n"), c.want) {
			t.Errorf("%s: violations %v, want one saying %q", c.name, v[before:], c.want)
		}
	}
}

func TestOffSpecResponsesAreViolations(t *testing.T) {
	s, err := New("tok")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// 409 is not an answer the spec allows for GET /api/v2/destinations.
	s.Fail(OpList, Fault{Status: http.StatusConflict})
	do(t, s, "GET", "/api/v2/destinations", "", map[string]string{"Authorization": "tok", "LD-API-Version": APIVersion})
	if v := s.Violations(); len(v) != 1 || !strings.Contains(v[0], "response 409 off the spec") {
		t.Fatalf("violations %v, want the 409 response flagged", v)
	}
}
