// Package apply implements `ldexport iam apply`: it creates or updates, in
// the caller's AWS account, the customer-managed permissions policy and the
// role LaunchDarkly assumes, and attaches the one to the other. It is
// idempotent: a second run reads and changes nothing.
package apply

import (
	"context"
	"fmt"
	"github.com/ldexport/ldexport/pkg/awserr"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ldexport/ldexport/pkg/awsarn"
	"github.com/ldexport/ldexport/pkg/cmd/iam/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/policy"
	"github.com/ldexport/ldexport/pkg/store"
	"github.com/spf13/cobra"
)

// IAMAPI is the part of the IAM API apply uses; *iam.Client satisfies it.
type IAMAPI interface {
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	CreateRole(context.Context, *iam.CreateRoleInput, ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	UpdateAssumeRolePolicy(context.Context, *iam.UpdateAssumeRolePolicyInput, ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
	GetPolicy(context.Context, *iam.GetPolicyInput, ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	CreatePolicy(context.Context, *iam.CreatePolicyInput, ...func(*iam.Options)) (*iam.CreatePolicyOutput, error)
	GetPolicyVersion(context.Context, *iam.GetPolicyVersionInput, ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
	ListPolicyVersions(context.Context, *iam.ListPolicyVersionsInput, ...func(*iam.Options)) (*iam.ListPolicyVersionsOutput, error)
	CreatePolicyVersion(context.Context, *iam.CreatePolicyVersionInput, ...func(*iam.Options)) (*iam.CreatePolicyVersionOutput, error)
	DeletePolicyVersion(context.Context, *iam.DeletePolicyVersionInput, ...func(*iam.Options)) (*iam.DeletePolicyVersionOutput, error)
	ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	AttachRolePolicy(context.Context, *iam.AttachRolePolicyInput, ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
}

// STSAPI is the part of the STS API apply uses; *sts.Client satisfies it.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// maxPolicyVersions is how many versions IAM keeps of a managed policy.
const maxPolicyVersions = 5

var (
	roleNameRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=,.@-]{1,64}$`) })
	policyNameRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=,.@-]{1,128}$`) })
)

// ApplyOptions are the dependencies and flag values of `iam apply`.
type ApplyOptions struct {
	IO           *iostreams.IOStreams
	Store        func() (*store.Store, error)
	Kinesis      func(ctx context.Context, region, endpointURL string) (*kinesis.Client, error)
	STS          func(ctx context.Context, region string) (*sts.Client, error)
	IAM          func(ctx context.Context, region string) (*iam.Client, error)
	LaunchDarkly func() (*launchdarkly.Client, error)
	// Output and EndpointURL are the global -o and --endpoint-url.
	Output      output.Format
	EndpointURL string

	Dest       string
	RoleName   string
	PolicyName string
	Restricted bool
	DryRun     bool
	// LaunchDarklyAccount is LaunchDarkly's AWS account in the role's
	// partition (required for aws-cn and aws-us-gov).
	LaunchDarklyAccount string
	// TrustFromLaunchDarkly uses the trust policy LaunchDarkly generates
	// (POST .../generate-trust-policy) instead of the offline one.
	TrustFromLaunchDarkly bool
	Timeout               time.Duration
	// AllowRealAWS lets apply change real AWS IAM for a destination whose
	// Kinesis endpoint is a local emulator.
	AllowRealAWS bool

	roleNameSet, policyNameSet bool // --role-name, --policy-name given
}

// NewCmdApply returns `iam apply`; runF replaces applyRun in tests.
func NewCmdApply(f *cmdutil.Factory, runF func(context.Context, *ApplyOptions) error) *cobra.Command {
	opts := &ApplyOptions{}
	cmd := &cobra.Command{
		Use:   "apply --dest NAME [--role-name N] [--policy-name N] [--restricted | --trust-from-launchdarkly] [--dry-run]",
		Short: "Create or update the role and policy LaunchDarkly needs, in your AWS account",
		Long: `Create or update, with the IAM API, the role LaunchDarkly assumes and its permissions
policy, and attach the policy to the role. The credentials must belong to the
destination's account. Running it again changes nothing unless something drifted:
a changed trust policy is updated, a changed permissions policy gets a new default
version (the oldest other version is deleted when IAM's five are used up).

The role name defaults to the last element of the destination's role ARN (its path is
kept); the policy name defaults to ldexport-<destination>-put-records.

With --trust-from-launchdarkly the role trusts what LaunchDarkly's generated trust
policy says (token from LAUNCHDARKLY_ACCESS_TOKEN), as ` + "`ldexport iam trust --from-launchdarkly`" + ` prints it.

A role in aws-cn or aws-us-gov cannot be assumed from LaunchDarkly's commercial account
(AssumeRole does not cross partitions): as with ` + "`iam trust`" + `, name LaunchDarkly's account in
that partition with --launchdarkly-account, or apply refuses before calling anything.
With --trust-from-launchdarkly, the generated policy must then name only that account.

IAM and STS calls go where the AWS SDK's endpoint settings say
(AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the shared
config's services section), else to AWS. For a destination whose Kinesis
endpoint is a local emulator, apply refuses to change real AWS IAM unless those
endpoints are set or --allow-real-aws is given.`,
		Example: `  ldexport iam apply --dest prod --dry-run
  ldexport iam apply --dest prod --restricted`,
		Args: cmdutil.NoArgs,
		RunE: cmdutil.RunE(f, opts, runF, applyRun),
	}
	cmd.Flags().StringVar(&opts.Dest, "dest", "", "stored destination to set up (required)")
	cmd.Flags().StringVar(&opts.RoleName, "role-name", "", "role name (default: from the destination's role ARN)")
	cmd.Flags().StringVar(&opts.PolicyName, "policy-name", "", "customer-managed policy name (default: ldexport-<dest>-put-records)")
	cmd.Flags().BoolVar(&opts.Restricted, "restricted", false, "trust only LaunchDarkly's Data Export role, not its whole account")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print what would change; change nothing")
	cmd.Flags().StringVar(&opts.LaunchDarklyAccount, "launchdarkly-account", "", "LaunchDarkly's AWS account in the role's partition (needed for aws-cn, aws-us-gov)")
	cmd.Flags().BoolVar(&opts.TrustFromLaunchDarkly, "trust-from-launchdarkly", false, "use the trust policy LaunchDarkly generates for the destination's environment")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 2*time.Minute, "how long all the IAM and STS calls together may take, e.g. 1m, 5m")
	cmd.Flags().BoolVar(&opts.AllowRealAWS, "allow-real-aws", false, "change real AWS IAM although the destination's Kinesis endpoint is a local emulator")
	_ = cmd.RegisterFlagCompletionFunc("dest", cmdutil.CompleteDestinationNames(f.Store))
	return cmd
}

// Step is one thing apply checked or did.
type Step struct {
	Resource string `json:"resource"` // account, policy, role or attachment
	Target   string `json:"target"`
	Result   string `json:"result"`
}

// Report is what apply prints with -o json or yaml.
type Report struct {
	Destination string `json:"destination"`
	DryRun      bool   `json:"dryRun"`
	AccountID   string `json:"accountId"`
	PolicyARN   string `json:"policyArn"`
	RoleARN     string `json:"roleArn"`
	Steps       []Step `json:"steps"`
}

// Plan is what apply wants to exist.
type Plan struct {
	Destination store.Destination
	Partition   string
	RoleName    string
	RolePath    string
	PolicyName  string
	// Trust and Permissions are the JSON documents.
	Trust       string
	Permissions string
}

// RoleARN is the ARN the role has once created.
func (p Plan) RoleARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:role%s%s", p.Partition, p.Destination.AccountID, p.RolePath, p.RoleName)
}

// PolicyARN is the customer-managed policy's ARN.
func (p Plan) PolicyARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:policy/%s", p.Partition, p.Destination.AccountID, p.PolicyName)
}

// NewPlan works out names and documents for a destination. ldAccount is
// LaunchDarkly's account in the role's partition (empty: the commercial one,
// which only reaches partition aws).
func NewPlan(d store.Destination, roleName, policyName string, restricted bool, ldAccount string) (Plan, error) {
	role, err := awsarn.ParseRoleARN(d.RoleARN)
	if err != nil {
		return Plan{}, cmdutil.UsageErrorf("destination %s: %v", d.Name, err)
	}
	p := Plan{Destination: d, Partition: role.Partition, RoleName: role.RoleName(), RolePath: "/", PolicyName: policyName}
	if i := strings.LastIndex(role.Name, "/"); i >= 0 {
		p.RolePath = "/" + role.Name[:i+1]
	}
	if roleName != "" {
		p.RoleName, p.RolePath = roleName, "/"
	}
	if p.PolicyName == "" {
		p.PolicyName = "ldexport-" + d.Name + "-put-records"
	}
	perm, err := policy.Marshal(policy.PermissionsPolicy(d.Region, d.AccountID, d.StreamName, d.KMSKeyARN))
	if err != nil {
		return Plan{}, err
	}
	trustDoc, err := policy.TrustPolicyForPartition(role.Partition, ldAccount, restricted, d.ExternalID)
	if err != nil {
		return Plan{}, cmdutil.UsageErrorf("destination %s: %v", d.Name, err)
	}
	trust, err := policy.Marshal(trustDoc)
	if err != nil {
		return Plan{}, err
	}
	p.Permissions, p.Trust = string(perm), string(trust)
	return p, nil
}

// Complete takes the globals and what apply uses from f, and whether
// --role-name and --policy-name were given.
func (o *ApplyOptions) Complete(f *cmdutil.Factory, cmd *cobra.Command, _ []string) error {
	o.IO, o.Store, o.LaunchDarkly = f.IOStreams, f.Store, f.LaunchDarkly
	o.Kinesis, o.STS, o.IAM = f.Kinesis, f.STS, f.IAM
	o.Output, o.EndpointURL = f.Globals.Output, f.Globals.EndpointURL
	o.roleNameSet, o.policyNameSet = cmd.Flags().Changed("role-name"), cmd.Flags().Changed("policy-name")
	return nil
}

// Validate checks every flag before anything is read or changed.
func (o *ApplyOptions) Validate() error {
	if o.Dest == "" {
		return cmdutil.FlagErrorf("--dest is required")
	}
	if err := cmdutil.ValidateTimeout(o.Timeout); err != nil {
		return err
	}
	if o.roleNameSet && !roleNameRe().MatchString(o.RoleName) {
		return cmdutil.FlagErrorf("--role-name: invalid role name %q: want 1 to 64 characters of letters, digits and +=,.@_-", o.RoleName)
	}
	if o.policyNameSet && !policyNameRe().MatchString(o.PolicyName) {
		return cmdutil.FlagErrorf("--policy-name: invalid policy name %q: want 1 to 128 characters of letters, digits and +=,.@_-", o.PolicyName)
	}
	if o.LaunchDarklyAccount != "" {
		if err := awsarn.ValidateAccountID(o.LaunchDarklyAccount); err != nil {
			return cmdutil.FlagErrorf("--launchdarkly-account: %v", err)
		}
	}
	if o.TrustFromLaunchDarkly && o.Restricted {
		return cmdutil.FlagErrorf("--trust-from-launchdarkly uses LaunchDarkly's own trust policy: drop --restricted")
	}
	return nil
}

func applyRun(ctx context.Context, opts *ApplyOptions) error {
	ios := opts.IO
	d, err := shared.Destination(opts.Store, opts.Dest)
	if err != nil {
		return err
	}
	// The partition rule holds with --trust-from-launchdarkly too, as in
	// `iam trust`: a role in aws-cn or aws-us-gov needs --launchdarkly-account
	// (exit 2), checked before anything reaches the network.
	plan, err := NewPlan(d, opts.RoleName, opts.PolicyName, opts.Restricted, opts.LaunchDarklyAccount)
	if err != nil {
		return err
	}
	c, err := cmdutil.NewAWSClients(ctx, d.Region, cmdutil.KinesisEndpointURL(opts.EndpointURL, d.EndpointURL), opts.Kinesis, opts.STS, opts.IAM)
	if err != nil {
		return err
	}
	if err := cmdutil.RefuseRealAWS("iam apply --dest "+d.Name, opts.AllowRealAWS, cmdutil.KinesisEndpoint(c.Kinesis), cmdutil.IAMEndpoint(c.IAM), cmdutil.STSEndpoint(c.STS)); err != nil {
		return err
	}
	if opts.TrustFromLaunchDarkly {
		doc, err := shared.LaunchDarklyTrust(ctx, opts.LaunchDarkly, d.Project, d.Environment)
		if err != nil {
			return err
		}
		if err := shared.CheckPrincipals(doc, plan.Partition, opts.LaunchDarklyAccount); err != nil {
			return cmdutil.RuntimeErrorf("%v; nothing was changed", err)
		}
		trust, err := policy.Marshal(doc)
		if err != nil {
			return err
		}
		plan.Trust = string(trust)
	}
	a := &applier{iam: c.IAM, sts: c.STS, plan: plan, dryRun: opts.DryRun}
	if opts.Output == output.Table {
		a.out = ios.Out
		if opts.DryRun {
			fmt.Fprintln(ios.ErrOut, "Dry run: reading only, nothing is changed.")
		}
	}
	// --timeout bounds the IAM and STS calls only: LaunchDarkly's answer,
	// above, has its own deadlines and 429 waits.
	awsCtx, cancel := awserr.WithDeadline(ctx, opts.Timeout, "--timeout")
	defer cancel()
	report, err := a.run(awsCtx)
	if err != nil {
		return err
	}
	if !opts.DryRun && report.RoleARN != d.RoleARN {
		s, err := opts.Store()
		if err != nil {
			return err
		}
		d.RoleARN = report.RoleARN
		if err := s.Replace(d); err != nil {
			return cmdutil.RuntimeErrorf("role ready, but the destination's role ARN could not be updated: %v", err)
		}
		a.step("destination", d.Name, "role ARN updated to "+report.RoleARN)
		report.Steps = a.steps
	}
	if opts.Output != output.Table {
		return output.Write(ios, opts.Output, report, nil)
	}
	if _, err := fmt.Fprintf(ios.Out, "Role ARN: %s\n", report.RoleARN); err != nil {
		return err
	}
	// Said after success only: a failure is one line on stderr.
	if d.ExternalID != "" && !opts.TrustFromLaunchDarkly {
		fmt.Fprintf(ios.ErrOut, "Warning: the trust policy demands external ID %q, but LaunchDarkly's Kinesis destination has no external-ID field: LaunchDarkly must present that ID or cannot assume the role. Prefer --trust-from-launchdarkly.\n", d.ExternalID)
	}
	return nil
}

// applier brings IAM in line with a plan, one step at a time.
type applier struct {
	iam    IAMAPI
	sts    STSAPI
	plan   Plan
	dryRun bool
	out    io.Writer // steps are printed here as they happen (nil: not printed)
	steps  []Step
}

func (a *applier) step(resource, target, result string) {
	a.steps = append(a.steps, Step{Resource: resource, Target: target, Result: result})
	if a.out != nil {
		fmt.Fprintf(a.out, "%-12s %s: %s\n", resource, target, result)
	}
}

// would returns the result of a write step: what was done, or in a dry run
// what would be done.
func (a *applier) would(done, planned string) string {
	if a.dryRun {
		return planned
	}
	return done
}

func (a *applier) run(ctx context.Context) (Report, error) {
	p := a.plan
	d := p.Destination
	id, err := a.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Report{}, awsError(ctx, "sts:GetCallerIdentity", "", err)
	}
	caller, account := aws.ToString(id.Arn), aws.ToString(id.Account)
	if account != d.AccountID {
		return Report{}, cmdutil.RuntimeErrorf("the AWS credentials are for account %s (%s), but destination %s is in account %s: use credentials of account %s (e.g. --profile)", account, caller, d.Name, d.AccountID, d.AccountID)
	}
	a.step("account", account, "matches destination "+d.Name+" (caller "+caller+")")

	policyARN, err := a.ensurePolicy(ctx)
	if err != nil {
		return Report{}, err
	}
	roleARN, roleExisted, err := a.ensureRole(ctx)
	if err != nil {
		return Report{}, err
	}
	if err := a.ensureAttached(ctx, policyARN, roleExisted); err != nil {
		return Report{}, err
	}
	return Report{Destination: d.Name, DryRun: a.dryRun, AccountID: account, PolicyARN: policyARN, RoleARN: roleARN, Steps: a.steps}, nil
}

// ensurePolicy creates the customer-managed policy, or gives it a new
// default version when its document differs.
func (a *applier) ensurePolicy(ctx context.Context) (string, error) {
	arn := a.plan.PolicyARN()
	got, err := a.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if isNoSuchEntity(err) {
		if !a.dryRun {
			out, err := a.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{
				PolicyName:     aws.String(a.plan.PolicyName),
				PolicyDocument: aws.String(a.plan.Permissions),
				Description:    aws.String("LaunchDarkly Data Export: put records into " + a.plan.Destination.StreamARN + " (ldexport)"),
			})
			if err != nil {
				return "", awsError(ctx, "iam:CreatePolicy", arn, err)
			}
			arn = aws.ToString(out.Policy.Arn)
		}
		a.step("policy", arn, a.would("created", "would create"))
		return arn, nil
	}
	if err != nil {
		return "", awsError(ctx, "iam:GetPolicy", arn, err)
	}
	defaultVersion := aws.ToString(got.Policy.DefaultVersionId)
	ver, err := a.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(defaultVersion)})
	if err != nil {
		return "", awsError(ctx, "iam:GetPolicyVersion", arn, err)
	}
	if sameDocument(aws.ToString(ver.PolicyVersion.Document), a.plan.Permissions) {
		a.step("policy", arn, "unchanged ("+defaultVersion+")")
		return arn, nil
	}
	list, err := a.iam.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn)})
	if err != nil {
		return "", awsError(ctx, "iam:ListPolicyVersions", arn, err)
	}
	if len(list.Versions) >= maxPolicyVersions {
		oldest := oldestNonDefault(list.Versions)
		if oldest == "" {
			return "", cmdutil.RuntimeErrorf("policy %s has %d versions and none can be deleted", arn, len(list.Versions))
		}
		if !a.dryRun {
			if _, err := a.iam.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(oldest)}); err != nil {
				return "", awsError(ctx, "iam:DeletePolicyVersion", arn, err)
			}
		}
		a.step("policy", arn, a.would("deleted oldest version "+oldest+" (IAM keeps five)", "would delete oldest version "+oldest+" (IAM keeps five)"))
	}
	newVersion := ""
	if !a.dryRun {
		out, err := a.iam.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(a.plan.Permissions), SetAsDefault: true})
		if err != nil {
			return "", awsError(ctx, "iam:CreatePolicyVersion", arn, err)
		}
		newVersion = aws.ToString(out.PolicyVersion.VersionId)
	}
	a.step("policy", arn, a.would("updated: new default version "+newVersion+" (was "+defaultVersion+")", "would update: new default version replacing "+defaultVersion))
	return arn, nil
}

// ensureRole creates the role, or updates its trust policy when it differs.
func (a *applier) ensureRole(ctx context.Context) (arn string, existed bool, err error) {
	arn = a.plan.RoleARN()
	got, err := a.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(a.plan.RoleName)})
	if isNoSuchEntity(err) {
		if !a.dryRun {
			out, err := a.iam.CreateRole(ctx, &iam.CreateRoleInput{
				RoleName:                 aws.String(a.plan.RoleName),
				Path:                     aws.String(a.plan.RolePath),
				AssumeRolePolicyDocument: aws.String(a.plan.Trust),
				Description:              aws.String("LaunchDarkly Data Export into " + a.plan.Destination.StreamARN + " (ldexport)"),
			})
			if err != nil {
				return "", false, awsError(ctx, "iam:CreateRole", arn, err)
			}
			arn = aws.ToString(out.Role.Arn)
		}
		a.step("role", arn, a.would("created", "would create"))
		return arn, false, nil
	}
	if err != nil {
		return "", false, awsError(ctx, "iam:GetRole", arn, err)
	}
	arn = aws.ToString(got.Role.Arn)
	if sameDocument(aws.ToString(got.Role.AssumeRolePolicyDocument), a.plan.Trust) {
		a.step("role", arn, "trust policy unchanged")
		return arn, true, nil
	}
	if !a.dryRun {
		if _, err := a.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(a.plan.RoleName), PolicyDocument: aws.String(a.plan.Trust)}); err != nil {
			return "", true, awsError(ctx, "iam:UpdateAssumeRolePolicy", arn, err)
		}
	}
	a.step("role", arn, a.would("trust policy updated", "would update the trust policy"))
	return arn, true, nil
}

// ensureAttached attaches the policy to the role unless it already is.
func (a *applier) ensureAttached(ctx context.Context, policyARN string, roleExisted bool) error {
	roleARN := a.plan.RoleARN()
	target := a.plan.PolicyName + " → " + a.plan.RoleName
	if roleExisted {
		var marker *string
		for {
			out, err := a.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(a.plan.RoleName), Marker: marker})
			if err != nil {
				return awsError(ctx, "iam:ListAttachedRolePolicies", roleARN, err)
			}
			for _, ap := range out.AttachedPolicies {
				if aws.ToString(ap.PolicyArn) == policyARN {
					a.step("attachment", target, "already attached")
					return nil
				}
			}
			if !out.IsTruncated || out.Marker == nil {
				break
			}
			marker = out.Marker
		}
	}
	if !a.dryRun {
		if _, err := a.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(a.plan.RoleName), PolicyArn: aws.String(policyARN)}); err != nil {
			return awsError(ctx, "iam:AttachRolePolicy", roleARN, err)
		}
	}
	a.step("attachment", target, a.would("attached", "would attach"))
	return nil
}

// oldestNonDefault returns the ID of the oldest version that is not the default.
func oldestNonDefault(vs []iamtypes.PolicyVersion) string {
	var cands []iamtypes.PolicyVersion
	for _, v := range vs {
		if !v.IsDefaultVersion {
			cands = append(cands, v)
		}
	}
	if len(cands) == 0 {
		return ""
	}
	sort.SliceStable(cands, func(i, j int) bool {
		return aws.ToTime(cands[i].CreateDate).Before(aws.ToTime(cands[j].CreateDate))
	})
	return aws.ToString(cands[0].VersionId)
}

// sameDocument compares a document IAM returned with ours, parsed. IAM
// returns documents URL-encoded (RFC 3986); one that is already plain JSON
// is not decoded again, so a "+" in it stays a "+".
func sameDocument(stored, want string) bool {
	if !strings.HasPrefix(strings.TrimSpace(stored), "{") {
		if dec, err := url.PathUnescape(stored); err == nil {
			stored = dec
		}
	}
	return policy.Equal([]byte(stored), []byte(want))
}

func isNoSuchEntity(err error) bool {
	return awserr.Classify(err) == awserr.NotFound
}

// awsError explains a failed call (action is its IAM permission,
// "iam:CreateRole") on resource in one line, through awserr.
func awsError(ctx context.Context, action, resource string, err error) error {
	service, call, _ := strings.Cut(action, ":")
	return awserr.Explain(ctx, err, awserr.Op{Service: strings.ToUpper(service), Call: call, Resource: resource,
		Permission: action, DeadlineFlag: "--timeout"})
}
