// Package tfexport renders a destination as Terraform: LaunchDarkly's
// launchdarkly_destination resource, plus the aws_iam_role LaunchDarkly
// assumes and the aws_iam_role_policy that lets it write to the stream,
// holding the same JSON documents `ldexport iam trust` and `iam policy`
// print. The output is laid out as `terraform fmt` lays it out.
package tfexport

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ldexport/ldexport/pkg/awsarn"
	"github.com/ldexport/ldexport/pkg/policy"
	"github.com/ldexport/ldexport/pkg/store"
)

// Options are the choices `dest export` passes on.
type Options struct {
	// On is the launchdarkly_destination's on attribute.
	On bool
	// Trust is the role's trust policy document.
	Trust policy.TrustDocument
	// PolicyName names the inline role policy (default ldexport-NAME-put-records,
	// as `iam apply` names its managed policy).
	PolicyName string
}

var notIdent = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// resourceLabel turns a destination name into a Terraform resource name. A name that
// is already an identifier is its own label. Any other is made one ('.'
// becomes '_', a leading digit gets "dest_") and given the first 8 hex digits
// of the name's SHA-256, so that names such as a.b and a_b, or 1st and
// dest_1st, whose files may share one Terraform configuration, never share a
// label.
func resourceLabel(name string) string {
	l := notIdent.ReplaceAllString(name, "_")
	if l == "" || !(l[0] == '_' || (l[0] >= 'A' && l[0] <= 'Z') || (l[0] >= 'a' && l[0] <= 'z')) {
		l = "dest_" + l
	}
	if l == name {
		return l
	}
	sum := sha256.Sum256([]byte(name))
	return l + "_" + hex.EncodeToString(sum[:4])
}

// Render returns the Terraform configuration for d.
func Render(d store.Destination, o Options) ([]byte, error) {
	role, err := awsarn.ParseRoleARN(d.RoleARN)
	if err != nil {
		return nil, fmt.Errorf("destination %s: %v", d.Name, err)
	}
	trust, err := policy.Marshal(o.Trust)
	if err != nil {
		return nil, err
	}
	perm, err := policy.Marshal(policy.PermissionsPolicy(d.Region, d.AccountID, d.StreamName, d.KMSKeyARN))
	if err != nil {
		return nil, err
	}
	if o.PolicyName == "" {
		o.PolicyName = "ldexport-" + d.Name + "-put-records"
	}
	path := "/"
	if i := strings.LastIndex(role.Name, "/"); i >= 0 {
		path = "/" + role.Name[:i+1]
	}
	label := resourceLabel(d.Name)
	q := strconv.Quote
	var b strings.Builder
	fmt.Fprintf(&b, "# LaunchDarkly Data Export of %s/%s into Kinesis stream %s (%s), from ldexport.\n", d.Project, d.Environment, d.StreamName, d.Region)
	fmt.Fprintf(&b, "# The role is in account %s; LaunchDarkly assumes it to put records into the stream.\n\n", d.AccountID)

	fmt.Fprintf(&b, "resource \"aws_iam_role\" %s {\n", q(label))
	attrs(&b, "  ", [][2]string{{"name", q(role.RoleName())}, {"path", q(path)}, {"description", q("LaunchDarkly Data Export into " + d.StreamARN + " (ldexport)")}})
	fmt.Fprintf(&b, "\n  assume_role_policy = %s\n}\n\n", heredoc(trust, "  "))

	fmt.Fprintf(&b, "resource \"aws_iam_role_policy\" %s {\n", q(label))
	attrs(&b, "  ", [][2]string{{"name", q(o.PolicyName)}, {"role", "aws_iam_role." + label + ".id"}})
	fmt.Fprintf(&b, "\n  policy = %s\n}\n\n", heredoc(perm, "  "))

	fmt.Fprintf(&b, "resource \"launchdarkly_destination\" %s {\n", q(label))
	attrs(&b, "  ", [][2]string{{"project_key", q(d.Project)}, {"env_key", q(d.Environment)}, {"name", q(d.Name)}, {"kind", q("kinesis")}})
	b.WriteString("  config = {\n")
	attrs(&b, "    ", [][2]string{{"region", q(d.Region)}, {"role_arn", "aws_iam_role." + label + ".arn"}, {"stream_name", q(d.StreamName)}})
	b.WriteString("  }\n")
	fmt.Fprintf(&b, "  on = %t\n\n", o.On)
	fmt.Fprintf(&b, "  # LaunchDarkly must not export before the role may write to the stream.\n")
	fmt.Fprintf(&b, "  depends_on = [aws_iam_role_policy.%s]\n}\n", label)
	return []byte(b.String()), nil
}

// attrs writes one attribute a line, their equals signs aligned.
func attrs(b *strings.Builder, indent string, kv [][2]string) {
	width := 0
	for _, a := range kv {
		width = max(width, len(a[0]))
	}
	for _, a := range kv {
		fmt.Fprintf(b, "%s%-*s = %s\n", indent, width, a[0], a[1])
	}
}

// heredoc is a JSON document as an indented heredoc (<<-EOT strips the indent).
func heredoc(doc []byte, indent string) string {
	var b strings.Builder
	b.WriteString("<<-EOT\n")
	for _, line := range strings.Split(strings.TrimRight(string(doc), "\n"), "\n") {
		// Terraform would interpolate ${ and %{ even in a heredoc.
		line = strings.NewReplacer("${", "$${", "%{", "%%{").Replace(line)
		b.WriteString(indent + "  " + line + "\n")
	}
	b.WriteString(indent + "EOT")
	return b.String()
}
