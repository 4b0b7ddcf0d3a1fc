// Package shared holds what the iam commands share: loading a destination
// and printing a policy document.
package shared

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	destshared "github.com/ldexport/ldexport/pkg/cmd/dest/shared"

	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/policy"
	"github.com/ldexport/ldexport/pkg/quote"
	"github.com/ldexport/ldexport/pkg/store"
)

// Destination loads the destination called name. An invalid name is bad
// input (exit 2); an unknown one or an unreadable store fails (exit 1).
func Destination(openStore func() (*store.Store, error), name string) (store.Destination, error) {
	if err := store.ValidateName(name); err != nil {
		return store.Destination{}, cmdutil.FlagErrorf("--dest: %v", err)
	}
	d, err := destshared.Load(openStore, name)
	if err != nil {
		return d, fmt.Errorf("--dest: %w", err)
	}
	return d, nil
}

// PrintDocument prints a policy document on stdout and nothing else, so it
// can be piped into `aws iam ... file:///dev/stdin`: YAML with -o yaml,
// otherwise JSON in the contract's layout (policy.Marshal).
func PrintDocument(w io.Writer, format output.Format, doc any) error {
	if format == output.YAML {
		return output.WriteYAML(w, doc)
	}
	data, err := policy.Marshal(doc)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// LaunchDarklyTrustDocument is LaunchDarkly's generated trust policy with its
// keys in the order ldexport prints its own (Version, Statement; Effect,
// Principal, Action, Condition).
type LaunchDarklyTrustDocument struct {
	Version   string                       `json:"Version"`
	Statement []LaunchDarklyTrustStatement `json:"Statement"`
}

// LaunchDarklyTrustStatement is one statement as LaunchDarkly sends it.
type LaunchDarklyTrustStatement struct {
	Effect    string `json:"Effect"`
	Principal any    `json:"Principal,omitempty"`
	Action    any    `json:"Action"`
	Condition any    `json:"Condition,omitempty"`
}

// LaunchDarklyTrust asks LaunchDarkly for the trust policy it generates for a
// project environment.
func LaunchDarklyTrust(ctx context.Context, newClient func() (*launchdarkly.Client, error), project, env string) (LaunchDarklyTrustDocument, error) {
	client, err := newClient()
	if err != nil {
		return LaunchDarklyTrustDocument{}, err
	}
	tp, err := client.GenerateTrustPolicy(ctx, project, env)
	if err != nil {
		return LaunchDarklyTrustDocument{}, cmdutil.RuntimeErrorf("%v", err)
	}
	var doc LaunchDarklyTrustDocument
	if tp.Version != nil {
		doc.Version = *tp.Version
	}
	if tp.Statement != nil {
		for _, st := range *tp.Statement {
			s := LaunchDarklyTrustStatement{Principal: st.Principal, Condition: st.Condition}
			if st.Effect != nil {
				s.Effect = *st.Effect
			}
			if st.Action != nil {
				s.Action = *st.Action
			}
			doc.Statement = append(doc.Statement, s)
		}
	}
	if len(doc.Statement) == 0 {
		return doc, cmdutil.RuntimeErrorf("LaunchDarkly's generated trust policy for %s/%s has no statement", project, env)
	}
	for _, st := range doc.Statement {
		if wildcardPrincipal(st.Principal) {
			return doc, cmdutil.RuntimeErrorf("LaunchDarkly's generated trust policy for %s/%s lets any AWS principal (\"*\") assume the role; refusing to use it", project, env)
		}
	}
	return doc, nil
}

// CheckPrincipals says why LaunchDarkly's generated trust policy cannot
// serve a role in partition: one of its AWS principals is in another
// partition (AssumeRole does not cross partitions: the role could never be
// assumed) or, when account is not empty, in another account than account
// (--launchdarkly-account). A bare account ID is in the role's partition.
// Nil: it can.
func CheckPrincipals(doc LaunchDarklyTrustDocument, partition, account string) error {
	data, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	principals, err := policy.AWSPrincipals(data)
	if err != nil {
		return err
	}
	for _, p := range principals {
		gotPartition, gotAccount := partition, p
		if fields := strings.Split(p, ":"); len(fields) >= 6 && fields[0] == "arn" {
			gotPartition, gotAccount = fields[1], fields[4]
		}
		if gotPartition != partition {
			return fmt.Errorf("LaunchDarkly's generated trust policy names %s, in partition %s, but the role is in partition %s (AssumeRole does not cross partitions)", quote.Input(p), quote.Input(gotPartition), partition)
		}
		if account != "" && gotAccount != account {
			return fmt.Errorf("LaunchDarkly's generated trust policy names %s, not --launchdarkly-account %s", quote.Input(p), account)
		}
	}
	return nil
}

// wildcardPrincipal reports whether a policy Principal is "*" or names "*"
// among its values (e.g. {"AWS": "*"}).
func wildcardPrincipal(p any) bool {
	switch v := p.(type) {
	case string:
		return strings.TrimSpace(v) == "*"
	case []any:
		for _, e := range v {
			if wildcardPrincipal(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range v {
			if wildcardPrincipal(e) {
				return true
			}
		}
	}
	return false
}
