// Package policy builds the IAM policy documents a LaunchDarkly Data Export
// destination on Kinesis needs: the permissions policy (kinesis:PutRecord and
// kinesis:PutRecords on one stream, plus kms:GenerateDataKey on a
// customer-managed key) and the cross-account trust policy that lets
// LaunchDarkly's AWS account assume the role. Documents are Go structs whose
// field order is the order keys are printed in; Marshal prints them the way
// the CLI contract shows them.
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ldexport/ldexport/pkg/awsarn"
)

// Version is the IAM policy language version every document declares.
const Version = "2012-10-17"

// LaunchDarkly's AWS principals, from the LaunchDarkly Kinesis destination page.
const (
	// LaunchDarklyAccountID is the AWS account LaunchDarkly exports from.
	LaunchDarklyAccountID = "554582317989"
	// LaunchDarklyRootPrincipal trusts any principal of LaunchDarkly's account.
	LaunchDarklyRootPrincipal = "arn:aws:iam::" + LaunchDarklyAccountID + ":root"
	// LaunchDarklyRestrictedPrincipal trusts only LaunchDarkly's Data Export role.
	LaunchDarklyRestrictedPrincipal = "arn:aws:iam::" + LaunchDarklyAccountID + ":role/LaunchDarkly-data-export"
)

// PermissionsDocument is an identity-based IAM policy.
type PermissionsDocument struct {
	Version   string                `json:"Version"`
	Statement []PermissionStatement `json:"Statement"`
}

// PermissionStatement allows actions on resources.
type PermissionStatement struct {
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource []string `json:"Resource"`
}

// TrustDocument is a role's trust (assume-role) policy.
type TrustDocument struct {
	Version   string           `json:"Version"`
	Statement []TrustStatement `json:"Statement"`
}

// TrustStatement lets a principal assume the role, under optional conditions.
type TrustStatement struct {
	Effect    string                       `json:"Effect"`
	Principal Principal                    `json:"Principal"`
	Action    string                       `json:"Action"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// Principal names who a trust statement is about.
type Principal struct {
	AWS string `json:"AWS"`
}

// PermissionsPolicy returns the least-privilege policy LaunchDarkly needs to
// write to stream in region and account: kinesis:PutRecord and
// kinesis:PutRecords on the stream's ARN, whose partition follows the region.
// A non-empty kmsKeyARN adds a statement allowing kms:GenerateDataKey on that
// key only, which producers need when the stream is encrypted with a
// customer-managed key.
func PermissionsPolicy(region, accountID, stream, kmsKeyARN string) PermissionsDocument {
	doc := PermissionsDocument{
		Version: Version,
		Statement: []PermissionStatement{{
			Effect:   "Allow",
			Action:   []string{"kinesis:PutRecord", "kinesis:PutRecords"},
			Resource: []string{awsarn.StreamARN(region, accountID, stream)},
		}},
	}
	if kmsKeyARN != "" {
		doc.Statement = append(doc.Statement, PermissionStatement{
			Effect:   "Allow",
			Action:   []string{"kms:GenerateDataKey"},
			Resource: []string{kmsKeyARN},
		})
	}
	return doc
}

// TrustPolicy returns the trust policy that lets LaunchDarkly assume the
// role: its whole account, or with restricted only its Data Export role. A
// non-empty externalID adds an sts:ExternalId condition, which AWS recommends
// against the confused-deputy problem.
func TrustPolicy(restricted bool, externalID string) TrustDocument {
	return trustPolicyFor(launchDarklyPrincipal("aws", LaunchDarklyAccountID, restricted), externalID)
}

// launchDarklyPrincipal is the principal ARN of a LaunchDarkly AWS account
// in a partition: its root, or with restricted its Data Export role.
func launchDarklyPrincipal(partition, account string, restricted bool) string {
	if restricted {
		return "arn:" + partition + ":iam::" + account + ":role/LaunchDarkly-data-export"
	}
	return "arn:" + partition + ":iam::" + account + ":root"
}

// ErrPartition is returned for a role in a partition LaunchDarkly's
// commercial account cannot reach.
var ErrPartition = errors.New("LaunchDarkly's commercial account (" + LaunchDarklyAccountID + ") is in partition aws and cannot assume roles in another partition (AssumeRole does not cross partitions)")

// TrustPolicyForPartition is the trust policy for a role in partition: in
// aws, LaunchDarkly's commercial account (or ldAccount when given); in
// aws-cn or aws-us-gov, only a LaunchDarkly account in that partition can
// assume the role, so ldAccount is required (ErrPartition otherwise).
func TrustPolicyForPartition(partition, ldAccount string, restricted bool, externalID string) (TrustDocument, error) {
	if ldAccount == "" {
		if partition != "aws" {
			return TrustDocument{}, fmt.Errorf("a role in partition %s: %w; give the LaunchDarkly account of that partition with --launchdarkly-account", partition, ErrPartition)
		}
		ldAccount = LaunchDarklyAccountID
	}
	return trustPolicyFor(launchDarklyPrincipal(partition, ldAccount, restricted), externalID), nil
}

// trustPolicyFor is the trust policy that lets principal assume the role,
// with an sts:ExternalId condition when externalID is not empty.
func trustPolicyFor(principal, externalID string) TrustDocument {
	st := TrustStatement{
		Effect:    "Allow",
		Principal: Principal{AWS: principal},
		Action:    "sts:AssumeRole",
	}
	if externalID != "" {
		st.Condition = map[string]map[string]string{
			"StringEquals": {"sts:ExternalId": externalID},
		}
	}
	return TrustDocument{Version: Version, Statement: []TrustStatement{st}}
}

// Marshal prints v as JSON the way the CLI contract shows policies: 2-space
// indentation, keys in struct order, an array of only strings, numbers,
// booleans or nulls on one line (["kinesis:PutRecord", "kinesis:PutRecords"]),
// every object and every other array spread over lines, and a final newline.
// HTML characters are not escaped.
func Marshal(v any) ([]byte, error) {
	compact, err := marshalNoEscape(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(compact))
	dec.UseNumber()
	s, _, err := render(dec, 0)
	if err != nil {
		return nil, err
	}
	return []byte(s + "\n"), nil
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// render writes the next JSON value of dec at the given depth and reports
// whether it was a scalar.
func render(dec *json.Decoder, depth int) (string, bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", false, err
	}
	pad := strings.Repeat("  ", depth+1)
	end := strings.Repeat("  ", depth)
	switch t := tok.(type) {
	case json.Delim:
		var items []string
		allScalar := true
		for dec.More() {
			key := ""
			if t == '{' {
				kt, err := dec.Token()
				if err != nil {
					return "", false, err
				}
				q, err := marshalNoEscape(kt.(string))
				if err != nil {
					return "", false, err
				}
				key = string(q) + ": "
			}
			s, scalar, err := render(dec, depth+1)
			if err != nil {
				return "", false, err
			}
			allScalar = allScalar && scalar
			items = append(items, key+s)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return "", false, err
		}
		open, closing := "{", "}"
		if t == '[' {
			open, closing = "[", "]"
		}
		switch {
		case len(items) == 0:
			return open + closing, false, nil
		case t == '[' && allScalar:
			return open + strings.Join(items, ", ") + closing, false, nil
		default:
			return open + "\n" + pad + strings.Join(items, ",\n"+pad) + "\n" + end + closing, false, nil
		}
	case string:
		q, err := marshalNoEscape(t)
		return string(q), true, err
	case json.Number:
		return t.String(), true, nil
	case bool:
		return fmt.Sprint(t), true, nil
	case nil:
		return "null", true, nil
	}
	return "", false, fmt.Errorf("policy: unexpected JSON token %v", tok)
}

// Equal reports whether two JSON policy documents say the same thing: they
// are compared parsed, so whitespace and key order do not matter. IAM returns
// stored documents URL-encoded; decode them first (url.QueryUnescape).
func Equal(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	na, _ := json.Marshal(va)
	nb, _ := json.Marshal(vb)
	return bytes.Equal(na, nb)
}

// TrustDifferences says, field by field, how trust policy a (such as the one
// LaunchDarkly generates) differs from b (such as the offline one), both
// JSON; nameA and nameB name them in the result. Statements are pooled; a
// string and a one-element array count as the same. Empty: they allow the
// same.
func TrustDifferences(a, b []byte, nameA, nameB string) []string {
	fa, errA := flattenTrust(a)
	fb, errB := flattenTrust(b)
	if errA != nil || errB != nil {
		return []string{"one of the documents is not JSON"}
	}
	var out []string
	for _, field := range []string{"Effect", "Principal", "Action", "Condition"} {
		x, y := strings.Join(fa[field], ", "), strings.Join(fb[field], ", ")
		if x == y {
			continue
		}
		if x == "" {
			x = "none"
		}
		if y == "" {
			y = "none"
		}
		out = append(out, fmt.Sprintf("%s %s in %s, %s in %s", field, x, nameA, y, nameB))
	}
	return out
}

// AWSPrincipals lists, sorted, the distinct AWS principals (ARNs or account
// IDs) that the statements of trust policy doc (JSON) name, whether each
// Principal.AWS is a string or an array.
func AWSPrincipals(doc []byte) ([]string, error) {
	f, err := flattenTrust(doc)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range f["Principal"] {
		if v, ok := strings.CutPrefix(p, "AWS:"); ok {
			out = append(out, v)
		}
	}
	return out, nil
}

// flattenTrust lists, per statement field, the sorted distinct values of
// every statement: principals as TYPE:VALUE, conditions as OP KEY=VALUE.
func flattenTrust(doc []byte) (map[string][]string, error) {
	var d struct {
		Statement []map[string]any `json:"Statement"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	sets := map[string]map[string]bool{}
	put := func(field, v string) {
		if sets[field] == nil {
			sets[field] = map[string]bool{}
		}
		sets[field][v] = true
	}
	for _, st := range d.Statement {
		for _, v := range strs(st["Effect"]) {
			put("Effect", v)
		}
		for _, v := range strs(st["Action"]) {
			put("Action", v)
		}
		switch p := st["Principal"].(type) {
		case string:
			put("Principal", p)
		case map[string]any:
			for typ, vals := range p {
				for _, v := range strs(vals) {
					put("Principal", typ+":"+v)
				}
			}
		}
		if c, ok := st["Condition"].(map[string]any); ok {
			for op, kv := range c {
				if m, ok := kv.(map[string]any); ok {
					for k, vals := range m {
						for _, v := range strs(vals) {
							put("Condition", op+" "+k+"="+v)
						}
					}
				}
			}
		}
	}
	out := map[string][]string{}
	for field, set := range sets {
		for v := range set {
			out[field] = append(out[field], v)
		}
		sort.Strings(out[field])
	}
	return out, nil
}

// strs reads a JSON string or array of strings.
func strs(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
