package launchdarkly

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/ldexport/ldexport/pkg/ldapi"
	"github.com/ldexport/ldexport/pkg/quote"
)

// KindKinesis is the destination kind ldexport manages.
const KindKinesis = "kinesis"

// Kinesis is a Kinesis destination's config as LaunchDarkly keeps it.
type Kinesis struct {
	Region     string `json:"region"`
	RoleArn    string `json:"roleArn"`
	StreamName string `json:"streamName"`
}

// Destination is one destination in LaunchDarkly. Project and Environment
// come from its self link: the API's representation has no key fields.
type Destination struct {
	ID          string
	Project     string
	Environment string
	Name        string
	Kind        string
	Version     int
	On          bool
	Config      Kinesis // set for kind kinesis
}

// Spec is what ldexport wants a Kinesis destination in LaunchDarkly to be.
type Spec struct {
	Name   string
	Config Kinesis
	On     bool
}

// postBody is the create request body for spec.
func postBody(s Spec) ldapi.DestinationPost {
	kind := ldapi.DestinationPostKind(KindKinesis)
	return ldapi.DestinationPost{Name: &s.Name, Kind: &kind, Config: s.Config, On: &s.On}
}

// CreateRequest is the create body in the order LaunchDarkly documents its
// keys, for printing; postBody is what is sent (the same JSON, keys sorted).
type CreateRequest struct {
	Name   string  `json:"name"`
	Kind   string  `json:"kind"`
	Config Kinesis `json:"config"`
	On     bool    `json:"on"`
}

// NewCreateRequest returns the create body for spec.
func NewCreateRequest(s Spec) CreateRequest {
	return CreateRequest{Name: s.Name, Kind: KindKinesis, Config: s.Config, On: s.On}
}

// Diff returns the JSON Patch that turns have into want, one replace per
// field that differs; with setOn false, "on" is left as LaunchDarkly has it.
func Diff(have Destination, want Spec, setOn bool) ldapi.JSONPatch {
	ops := ldapi.JSONPatch{}
	add := func(path string, differs bool, v any) {
		if differs {
			ops = append(ops, ldapi.PatchOperation{Op: "replace", Path: path, Value: v})
		}
	}
	add("/name", have.Name != want.Name, want.Name)
	add("/config/region", have.Config.Region != want.Config.Region, want.Config.Region)
	add("/config/roleArn", have.Config.RoleArn != want.Config.RoleArn, want.Config.RoleArn)
	add("/config/streamName", have.Config.StreamName != want.Config.StreamName, want.Config.StreamName)
	add("/on", setOn && have.On != want.On, want.On)
	return ops
}

// Permissions LaunchDarkly custom roles grant on destinations, named in
// 401/403 errors (resource proj/P:env/E:destination/*).
const (
	permRead   = "read access to destinations (a Reader role, or viewProject on proj/*)"
	permCreate = "createDestination on proj/%s:env/%s:destination/*"
	permUpdate = "updateConfiguration, updateName and updateOn on proj/%s:env/%s:destination/*"
	permDelete = "deleteDestination on proj/%s:env/%s:destination/*"
	permTrust  = "createDestination on proj/%s:env/%s:destination/* (to generate a trust policy)"
)

// List returns every destination in the account, of every kind.
func (c *Client) List(ctx context.Context) ([]Destination, error) {
	r, err := do(ctx, c, "list destinations", permRead, func(ctx context.Context) (*ldapi.GetDestinationsResponse, error) {
		return c.api.GetDestinationsWithResponse(ctx)
	})
	if err != nil {
		return nil, err
	}
	if r.JSON200 == nil {
		return nil, fmt.Errorf("LaunchDarkly list destinations: unexpected answer (HTTP %d, %s)", r.StatusCode(), r.HTTPResponse.Header.Get("Content-Type"))
	}
	var out []Destination
	if r.JSON200.Items != nil {
		for _, d := range *r.JSON200.Items {
			out = append(out, fromAPI(d, "", ""))
		}
	}
	return out, nil
}

// Get returns one destination.
func (c *Client) Get(ctx context.Context, project, env, id string) (Destination, error) {
	op := fmt.Sprintf("get destination %s/%s/%s", project, env, id)
	if !ValidID(id) {
		return Destination{}, fmt.Errorf("LaunchDarkly %s: %s is not a destination ID (check launchDarklyId in the store)", op, quote.Input(id))
	}
	r, err := do(ctx, c, op, permRead, func(ctx context.Context) (*ldapi.GetDestinationResponse, error) {
		return c.api.GetDestinationWithResponse(ctx, project, env, id)
	})
	if err != nil {
		return Destination{}, err
	}
	if r.JSON200 == nil {
		return Destination{}, fmt.Errorf("LaunchDarkly %s: unexpected answer (HTTP %d)", op, r.StatusCode())
	}
	return fromAPI(*r.JSON200, project, env), nil
}

// Create creates a Kinesis destination in a project environment.
func (c *Client) Create(ctx context.Context, project, env string, s Spec) (Destination, error) {
	op := fmt.Sprintf("create destination in %s/%s", project, env)
	r, err := do(ctx, c, op, fmt.Sprintf(permCreate, project, env), func(ctx context.Context) (*ldapi.PostDestinationResponse, error) {
		return c.api.PostDestinationWithResponse(ctx, project, env, postBody(s))
	})
	if err != nil {
		return Destination{}, err
	}
	if r.JSON201 == nil {
		return Destination{}, fmt.Errorf("LaunchDarkly %s: unexpected answer (HTTP %d)", op, r.StatusCode())
	}
	return checkID(op, fromAPI(*r.JSON201, project, env))
}

// validID is what a destination ID can be: LaunchDarkly's are 24 hex digits.
var validID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`) })

// ValidID reports whether id can be a LaunchDarkly destination ID.
func ValidID(id string) bool { return validID().MatchString(id) }

// checkID refuses an answer whose _id cannot be stored and used in a URL.
func checkID(op string, d Destination) (Destination, error) {
	if !validID().MatchString(d.ID) {
		return Destination{}, fmt.Errorf("LaunchDarkly %s: the answer has no valid _id (got %s)", op, quote.Input(d.ID))
	}
	return d, nil
}

// Update brings a destination in line with want: it reads it, patches only
// the fields that differ, and returns the result with the patch sent (empty:
// nothing to change). On 409 (optimistic locking) it reads again and retries
// once.
func (c *Client) Update(ctx context.Context, project, env, id string, want Spec, setOn bool) (Destination, ldapi.JSONPatch, error) {
	op := fmt.Sprintf("update destination %s/%s/%s", project, env, id)
	for attempt := 0; ; attempt++ {
		have, err := c.Get(ctx, project, env, id)
		if err != nil {
			return Destination{}, nil, err
		}
		patch := Diff(have, want, setOn)
		if len(patch) == 0 {
			return have, patch, nil
		}
		r, err := do(ctx, c, op, fmt.Sprintf(permUpdate, project, env), func(ctx context.Context) (*ldapi.PatchDestinationResponse, error) {
			return c.api.PatchDestinationWithResponse(ctx, project, env, id, patch)
		})
		if IsStatus(err, http.StatusConflict) && attempt == 0 {
			continue
		}
		if err != nil {
			return Destination{}, nil, err
		}
		if r.JSON200 == nil {
			return Destination{}, nil, fmt.Errorf("LaunchDarkly %s: unexpected answer (HTTP %d)", op, r.StatusCode())
		}
		d, err := checkID(op, fromAPI(*r.JSON200, project, env))
		return d, patch, err
	}
}

// Delete deletes a destination; one that is already gone is not an error.
func (c *Client) Delete(ctx context.Context, project, env, id string) (existed bool, err error) {
	op := fmt.Sprintf("delete destination %s/%s/%s", project, env, id)
	if !ValidID(id) {
		return false, fmt.Errorf("LaunchDarkly %s: %s is not a destination ID (check launchDarklyId in the store)", op, quote.Input(id))
	}
	_, err = do(ctx, c, op, fmt.Sprintf(permDelete, project, env), func(ctx context.Context) (*ldapi.DeleteDestinationResponse, error) {
		return c.api.DeleteDestinationWithResponse(ctx, project, env, id)
	})
	if IsStatus(err, http.StatusNotFound) {
		return false, nil
	}
	return err == nil, err
}

// TrustPolicy is the trust policy LaunchDarkly generates, as it sends it.
type TrustPolicy = ldapi.TrustPolicyDetails

// GenerateTrustPolicy asks LaunchDarkly for the trust policy of a project
// environment's role. A 409 is retried once.
func (c *Client) GenerateTrustPolicy(ctx context.Context, project, env string) (TrustPolicy, error) {
	op := fmt.Sprintf("generate trust policy for %s/%s", project, env)
	var r *ldapi.PostGenerateTrustPolicyResponse
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		r, err = do(ctx, c, op, fmt.Sprintf(permTrust, project, env), func(ctx context.Context) (*ldapi.PostGenerateTrustPolicyResponse, error) {
			return c.api.PostGenerateTrustPolicyWithResponse(ctx, project, env)
		})
		if !IsStatus(err, http.StatusConflict) {
			break
		}
	}
	if err != nil {
		return TrustPolicy{}, err
	}
	if r.JSON201 == nil || r.JSON201.AwsTrustPolicy == nil {
		return TrustPolicy{}, fmt.Errorf("LaunchDarkly %s: the answer has no awsTrustPolicy (HTTP %d)", op, r.StatusCode())
	}
	return *r.JSON201.AwsTrustPolicy, nil
}

// fromAPI converts LaunchDarkly's representation; project and env are used
// when the self link does not name them.
func fromAPI(d ldapi.Destination, project, env string) Destination {
	out := Destination{Project: project, Environment: env}
	if d.UnderscoreId != nil {
		out.ID = *d.UnderscoreId
	}
	if d.Name != nil {
		out.Name = *d.Name
	}
	if d.Kind != nil {
		out.Kind = string(*d.Kind)
	}
	if d.Version != nil {
		out.Version = int(*d.Version)
	}
	if d.On != nil {
		out.On = *d.On
	}
	if d.UnderscoreLinks != nil {
		if self, ok := (*d.UnderscoreLinks)["self"]; ok && self.Href != nil {
			if p, e, ok := parseSelf(*self.Href); ok {
				out.Project, out.Environment = p, e
			}
		}
	}
	if out.Kind == KindKinesis {
		out.Config = kinesisConfig(d.Config)
	}
	return out
}

// parseSelf reads project and environment keys out of a self link
// /api/v2/destinations/{project}/{env}/{id}.
func parseSelf(href string) (project, env string, ok bool) {
	u, err := url.Parse(href)
	if err != nil {
		return "", "", false
	}
	parts := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/api/v2/destinations/"), "/")
	if len(parts) != 3 || !strings.HasPrefix(u.Path, "/api/v2/destinations/") {
		return "", "", false
	}
	p, err1 := url.PathUnescape(parts[0])
	e, err2 := url.PathUnescape(parts[1])
	if err1 != nil || err2 != nil || p == "" || e == "" {
		return "", "", false
	}
	return p, e, true
}

// kinesisConfig reads config, which the spec leaves untyped: an object, or
// (as in the spec's own examples) a JSON string holding one.
func kinesisConfig(v any) Kinesis {
	var k Kinesis
	switch c := v.(type) {
	case string:
		_ = json.Unmarshal([]byte(c), &k)
	case map[string]any:
		b, _ := json.Marshal(c)
		_ = json.Unmarshal(b, &k)
	}
	return k
}
