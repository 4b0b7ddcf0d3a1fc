package preflight

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/ldexport/ldexport/pkg/policy"
)

// stringList is an IAM policy value that is either one string or a list.
type stringList []string

func (s *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings, got %s", b)
	}
	*s = many
	return nil
}

// principal is "*" or {"AWS": ..., "Service": ..., ...}.
type principal struct {
	Any bool
	AWS stringList
}

func (p *principal) UnmarshalJSON(b []byte) error {
	var star string
	if err := json.Unmarshal(b, &star); err == nil {
		if star != "*" {
			return fmt.Errorf("principal %q: want \"*\" or an object", star)
		}
		p.Any = true
		return nil
	}
	var m map[string]stringList
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("principal: %w", err)
	}
	for k, v := range m {
		if strings.EqualFold(k, "AWS") {
			p.AWS = append(p.AWS, v...)
		}
	}
	return nil
}

type statement struct {
	Effect    string
	Principal *principal
	Action    stringList
	Condition map[string]map[string]stringList
}

// statements is a policy's Statement: one object or a list.
type statements []statement

func (s *statements) UnmarshalJSON(b []byte) error {
	var one statement
	if err := json.Unmarshal(b, &one); err == nil {
		*s = statements{one}
		return nil
	}
	var many []statement
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// trustPolicy is the part of a role's trust policy that says who may assume it.
type trustPolicy struct {
	Statement statements
}

// parseTrustPolicy reads a trust policy as IAM's GetRole returns it
// (URL-encoded JSON), or plain JSON.
func parseTrustPolicy(doc string) (trustPolicy, error) {
	if !strings.HasPrefix(strings.TrimSpace(doc), "{") {
		dec, err := url.QueryUnescape(doc)
		if err != nil {
			return trustPolicy{}, fmt.Errorf("cannot URL-decode the trust policy: %w", err)
		}
		doc = dec
	}
	var p trustPolicy
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return trustPolicy{}, fmt.Errorf("cannot parse the trust policy: %w", err)
	}
	return p, nil
}

func (st statement) allowsAssumeRole() bool {
	for _, a := range st.Action {
		switch strings.ToLower(a) {
		case "sts:assumerole", "sts:*", "*":
			return true
		}
	}
	return false
}

// launchDarklyPrincipal returns the LaunchDarkly principal the statement names, if any.
func (st statement) launchDarklyPrincipal() string {
	if st.Principal == nil {
		return ""
	}
	if st.Principal.Any {
		return "*"
	}
	for _, p := range st.Principal.AWS {
		switch p {
		case policy.LaunchDarklyRootPrincipal, policy.LaunchDarklyAccountID, policy.LaunchDarklyRestrictedPrincipal:
			return p
		}
	}
	return ""
}

// externalIDs returns the sts:ExternalId values a statement requires
// (StringEquals or StringLike; condition keys are case-insensitive), and
// whether it has such a condition at all.
func (st statement) externalIDs() ([]string, bool) {
	var ids []string
	found := false
	for op, keys := range st.Condition {
		if !strings.EqualFold(op, "StringEquals") && !strings.EqualFold(op, "StringLike") {
			continue
		}
		for k, v := range keys {
			if strings.EqualFold(k, "sts:ExternalId") {
				found = true
				ids = append(ids, v...)
			}
		}
	}
	return ids, found
}

// evaluateTrust says whether the policy lets LaunchDarkly assume the role
// with externalID (empty: the destination has none), as a check result.
func evaluateTrust(p trustPolicy, externalID string) (Status, string) {
	var trusted []string
	var denied bool
	var allowStmts []statement
	for _, st := range p.Statement {
		if st.Principal != nil {
			if st.Principal.Any {
				trusted = append(trusted, "*")
			}
			trusted = append(trusted, st.Principal.AWS...)
		}
		if !st.allowsAssumeRole() || st.launchDarklyPrincipal() == "" {
			continue
		}
		switch {
		case strings.EqualFold(st.Effect, "Deny"):
			denied = true
		case strings.EqualFold(st.Effect, "Allow"):
			allowStmts = append(allowStmts, st)
		}
	}
	if denied {
		return Fail, "a Deny statement stops LaunchDarkly from assuming the role"
	}
	if len(allowStmts) == 0 {
		sort.Strings(trusted)
		names := "no AWS principal"
		if len(trusted) > 0 {
			names = strings.Join(trusted, ", ")
		}
		return Fail, fmt.Sprintf("the trust policy does not let LaunchDarkly (%s) assume the role with sts:AssumeRole; it trusts %s", policy.LaunchDarklyRootPrincipal, names)
	}
	var problems []string
	for _, st := range allowStmts {
		who := st.launchDarklyPrincipal()
		ids, hasCond := st.externalIDs()
		switch {
		case externalID == "" && !hasCond:
			if who == "*" {
				return Warn, "the trust policy lets any AWS principal (*) assume the role: name LaunchDarkly's account instead"
			}
			return Pass, fmt.Sprintf("lets %s assume the role", who)
		case externalID == "" && hasCond:
			problems = append(problems, fmt.Sprintf("the trust policy requires sts:ExternalId %s but the destination has no external ID: record the one LaunchDarkly uses (dest create --external-id)", strings.Join(ids, ", ")))
		case !hasCond:
			problems = append(problems, fmt.Sprintf("the trust policy has no sts:ExternalId condition, but the destination has external ID %s", externalID))
		case slices.Contains(ids, externalID):
			return Pass, fmt.Sprintf("lets %s assume the role with sts:ExternalId %s", who, externalID)
		default:
			problems = append(problems, fmt.Sprintf("the trust policy requires sts:ExternalId %s, the destination has %s", strings.Join(ids, ", "), externalID))
		}
	}
	if externalID == "" {
		return Warn, problems[0]
	}
	return Fail, problems[0]
}
