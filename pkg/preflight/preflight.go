// Package preflight checks a LaunchDarkly Data Export destination on Kinesis
// end to end before anyone presses LaunchDarkly's "Send test event" button:
// the caller's credentials, the stream (state, capacity, encryption) and the
// IAM role LaunchDarkly assumes (existence, trust policy, permissions).
// Each check passes, warns, fails or is skipped with the reason and the fix.
// AWS calls go through small interfaces the SDK clients satisfy.
package preflight

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ldexport/ldexport/pkg/awsarn"
	"github.com/ldexport/ldexport/pkg/awserr"
	"github.com/ldexport/ldexport/pkg/shardcalc"
	"github.com/ldexport/ldexport/pkg/store"
)

// Status is a check's outcome.
type Status string

// The outcomes of a check.
const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Check is one check's result.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
}

// Report is every check of one destination; OK is false when any failed.
// Endpoints says where each service's calls went.
type Report struct {
	Destination string    `json:"destination"`
	OK          bool      `json:"ok"`
	Checks      []Check   `json:"checks"`
	Endpoints   Endpoints `json:"endpoints"`
}

// Endpoints are the base URLs the Kinesis, IAM and STS calls go to; "" (shown
// as "AWS") is AWS's own endpoint for the region.
type Endpoints struct {
	Kinesis string `json:"kinesis"`
	IAM     string `json:"iam"`
	STS     string `json:"sts"`
}

// MarshalJSON writes "AWS" for AWS's own endpoints.
func (e Endpoints) MarshalJSON() ([]byte, error) {
	type plain Endpoints
	return json.Marshal(plain{Kinesis: orAWS(e.Kinesis), IAM: orAWS(e.IAM), STS: orAWS(e.STS)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (e *Endpoints) UnmarshalJSON(b []byte) error {
	type plain Endpoints
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*e = Endpoints{Kinesis: notAWS(p.Kinesis), IAM: notAWS(p.IAM), STS: notAWS(p.STS)}
	return nil
}

func notAWS(url string) string {
	if url == "AWS" {
		return ""
	}
	return url
}

func orAWS(url string) string {
	if url == "" {
		return "AWS"
	}
	return url
}

// Failed returns the names of the failed checks.
func (r Report) Failed() []string {
	var out []string
	for _, c := range r.Checks {
		if c.Status == Fail {
			out = append(out, c.Name)
		}
	}
	return out
}

// Detail returns the detail of the check named name, or "".
func (r Report) Detail(name string) string {
	for _, c := range r.Checks {
		if c.Name == name {
			return c.Detail
		}
	}
	return ""
}

// STS is the part of the STS API the checks use.
type STS interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// IAM is the part of the IAM API the checks use.
type IAM interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	SimulatePrincipalPolicy(ctx context.Context, in *iam.SimulatePrincipalPolicyInput, optFns ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
}

// Kinesis is the part of the Kinesis API the checks use.
type Kinesis interface {
	DescribeStreamSummary(ctx context.Context, in *kinesis.DescribeStreamSummaryInput, optFns ...func(*kinesis.Options)) (*kinesis.DescribeStreamSummaryOutput, error)
}

// Input is what Run checks and with which clients.
type Input struct {
	Destination store.Destination
	// Endpoints say where each client's calls go, for the report.
	Endpoints Endpoints
	// NoSTS and NoIAM, when set, say why STS or IAM is not called (their
	// clients may then be nil): e.g. Kinesis is a local emulator and the
	// service would go to real AWS.
	NoSTS, NoIAM string
	// EventsPerMonth is the expected volume (0: unknown; capacity then only
	// reports the stream's mode and shards).
	EventsPerMonth int64

	STS     STS
	IAM     IAM
	Kinesis Kinesis
}

// The checks, in the order Run makes them.
const (
	CheckCredentials = "credentials"
	CheckAccount     = "account"
	CheckStream      = "stream"
	CheckCapacity    = "capacity"
	CheckEncryption  = "encryption"
	CheckRole        = "role"
	CheckTrust       = "trust"
	CheckPermissions = "permissions"
)

// Run makes every check in order. It does not stop at a failure: a check
// that depends on a failed or skipped one is skipped, saying which.
func Run(ctx context.Context, in Input) Report {
	r := &run{in: in, d: in.Destination}
	r.credentials(ctx)
	r.account()
	r.stream(ctx)
	r.capacity()
	r.encryption()
	r.checkRole(ctx)
	r.trust()
	r.permissions(ctx)
	rep := Report{Destination: in.Destination.Name, OK: true, Checks: r.checks, Endpoints: in.Endpoints}
	if len(rep.Failed()) > 0 {
		rep.OK = false
	}
	return rep
}

type run struct {
	in     Input
	d      store.Destination
	checks []Check

	callerAccount string
	// iamSkip, when set, is why the IAM checks cannot run.
	iamSkip string
	summary *types.StreamDescriptionSummary
	role    *iamtypes.Role
	// roleSkip is why trust and permissions cannot run.
	roleSkip string
}

func (r *run) add(name string, s Status, format string, args ...any) {
	r.checks = append(r.checks, Check{Name: name, Status: s, Detail: fmt.Sprintf(format, args...)})
}

// via names a service's endpoint when it is not AWS's own: " (IAM: URL)".
func via(service, url string) string {
	if url == "" {
		return ""
	}
	return fmt.Sprintf(" (%s: %s)", service, url)
}

// op names a call for awserr's messages, with the endpoint its service's
// calls go to when that is not AWS's own.
func (r *run) op(service, call, resource string) awserr.Op {
	o := awserr.Op{Service: service, Call: call, Resource: resource, Region: r.d.Region,
		Permission: strings.ToLower(service) + ":" + call, DeadlineFlag: "--timeout"}
	switch service {
	case "Kinesis":
		o.Endpoint = r.in.Endpoints.Kinesis
	case "IAM":
		o.Endpoint = r.in.Endpoints.IAM
	case "STS":
		o.Endpoint = r.in.Endpoints.STS
	}
	return o
}

func (r *run) credentials(ctx context.Context) {
	if r.in.NoIAM != "" {
		r.iamSkip = r.in.NoIAM
	}
	if r.in.NoSTS != "" {
		if r.iamSkip == "" {
			r.iamSkip = "no caller identity: " + r.in.NoSTS
		}
		r.add(CheckCredentials, Skip, "%s", r.in.NoSTS)
		return
	}
	where := via("STS", r.in.Endpoints.STS)
	out, err := r.in.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		r.iamSkip = "no working AWS credentials"
		e := awserr.Explain(ctx, err, r.op("STS", "GetCallerIdentity", ""))
		if k := awserr.Classify(e); k == awserr.Credentials || k == awserr.Other {
			r.add(CheckCredentials, Fail, "cannot get the caller identity%s: %s; fix: set up AWS credentials (aws configure, or aws sso login --profile P)", where, awserr.Short(err))
			return
		}
		r.add(CheckCredentials, Fail, "%v", e)
		return
	}
	r.callerAccount = aws.ToString(out.Account)
	r.add(CheckCredentials, Pass, "%s (account %s)%s", aws.ToString(out.Arn), r.callerAccount, where)
}

func (r *run) account() {
	switch {
	case r.in.NoSTS != "":
		r.add(CheckAccount, Skip, "%s", r.in.NoSTS)
	case r.callerAccount == "":
		r.add(CheckAccount, Skip, "no caller identity")
	case r.callerAccount == r.d.AccountID:
		r.add(CheckAccount, Pass, "the caller, the role and the stream are in account %s", r.d.AccountID)
	default:
		r.iamSkip = fmt.Sprintf("the caller is in account %s, the role in %s: run dest check with credentials of account %s", r.callerAccount, r.d.AccountID, r.d.AccountID)
		r.add(CheckAccount, Warn, "the caller is in account %s, the destination's role and stream in %s (the role must live in the stream's account); the role checks need credentials of account %s", r.callerAccount, r.d.AccountID, r.d.AccountID)
	}
}

func (r *run) stream(ctx context.Context) {
	d := r.d
	out, err := r.in.Kinesis.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(d.StreamName)})
	switch {
	case awserr.Classify(err) == awserr.NotFound:
		where := "region " + d.Region
		if e := r.in.Endpoints.Kinesis; e != "" {
			where = "endpoint " + e
		}
		r.add(CheckStream, Fail, "stream %s not found at %s; fix: create it (aws kinesis create-stream --stream-name %s --region %s --stream-mode-details StreamMode=ON_DEMAND) or correct the destination", d.StreamName, where, d.StreamName, d.Region)
		return
	case awserr.IsAccessDenied(err):
		r.add(CheckStream, Skip, "caller lacks kinesis:DescribeStreamSummary on %s", d.StreamARN)
		return
	case err != nil:
		r.add(CheckStream, Fail, "%v", awserr.Explain(ctx, err, r.op("Kinesis", "DescribeStreamSummary", fmt.Sprintf("stream %q", d.StreamName))))
		return
	}
	s := out.StreamDescriptionSummary
	if s == nil {
		r.add(CheckStream, Fail, "DescribeStreamSummary returned no summary for stream %s", d.StreamName)
		return
	}
	arnNote := ""
	// Emulators make up their own account IDs: the ARN is compared on AWS only.
	if got := aws.ToString(s.StreamARN); r.in.Endpoints.Kinesis == "" && got != "" && got != d.StreamARN {
		arnNote = fmt.Sprintf("; but its ARN is %s, not the destination's %s", got, d.StreamARN)
	}
	switch s.StreamStatus {
	case types.StreamStatusActive, types.StreamStatusUpdating:
		r.summary = s
		status := Pass
		if arnNote != "" {
			status = Warn
		}
		r.add(CheckStream, status, "stream %s is %s%s%s", d.StreamName, s.StreamStatus, arnNote, via("Kinesis", r.in.Endpoints.Kinesis))
	default:
		r.add(CheckStream, Fail, "stream %s is %s, not ACTIVE; fix: wait for it (aws kinesis wait stream-exists --stream-name %s) or create it again", d.StreamName, s.StreamStatus, d.StreamName)
	}
}

// recommendShards is `ldexport shards` for n events a month at the mean rate
// and the default event size.
func recommendShards(n int64) (recommended, baseline, throughput int64) {
	r := shardcalc.RecommendShards(shardcalc.Input{EventsPerMonth: n, PeakFactor: 1, AvgEventBytes: shardcalc.DefaultAvgEventBytes})
	return r.RecommendedShards, r.BaselineShards, r.ThroughputShards
}

func (r *run) capacity() {
	s := r.summary
	if s == nil {
		r.add(CheckCapacity, Skip, "the stream check did not pass")
		return
	}
	open := int64(aws.ToInt32(s.OpenShardCount))
	mode := types.StreamModeProvisioned
	if s.StreamModeDetails != nil && s.StreamModeDetails.StreamMode != "" {
		mode = s.StreamModeDetails.StreamMode
	}
	if mode == types.StreamModeOnDemand {
		r.add(CheckCapacity, Pass, "on-demand with %d open shards: Kinesis adds shards as traffic grows", open)
		return
	}
	n := r.in.EventsPerMonth
	if n <= 0 {
		r.add(CheckCapacity, Pass, "provisioned with %d open shards (pass --events-per-month to compare with LaunchDarkly's advice)", open)
		return
	}
	rec, base, tp := recommendShards(n)
	if open >= rec {
		r.add(CheckCapacity, Pass, "provisioned with %d open shards; %s events a month need %d (baseline %d, peak throughput %d)", open, thousands(n), rec, base, tp)
		return
	}
	r.add(CheckCapacity, Warn, "provisioned with %d open shards; %s events a month need %d (baseline %d, peak throughput %d): too few shards throttle writes and LaunchDarkly may drop events; fix: aws kinesis update-shard-count --stream-name %s --target-shard-count %d --scaling-type UNIFORM_SCALING", open, thousands(n), rec, base, tp, r.d.StreamName, rec)
}

// thousands writes n with comma separators: 120,000,000.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

const awsManagedKinesisKey = "alias/aws/kinesis"

func (r *run) encryption() {
	s := r.summary
	if s == nil {
		r.add(CheckEncryption, Skip, "the stream check did not pass")
		return
	}
	d := r.d
	key := aws.ToString(s.KeyId)
	switch {
	case s.EncryptionType != types.EncryptionTypeKms:
		r.add(CheckEncryption, Pass, "stream %s is not encrypted with KMS: the role needs no KMS permission", d.StreamName)
	case key == awsManagedKinesisKey || strings.HasSuffix(key, ":"+awsManagedKinesisKey):
		r.add(CheckEncryption, Pass, "stream %s uses the AWS-managed key %s: the role needs no KMS permission", d.StreamName, awsManagedKinesisKey)
	case d.KMSKeyARN == "":
		r.add(CheckEncryption, Fail, "stream %s is encrypted with the customer-managed key %s, but the destination has no KMS key, so its policy does not grant kms:GenerateDataKey; fix: ldexport dest delete %s --yes && ldexport dest create %s ... --kms-key-arn <that key's ARN>, then ldexport iam apply --dest %s", d.StreamName, key, d.Name, d.Name, d.Name)
	case sameKey(key, d.KMSKeyARN):
		r.add(CheckEncryption, Pass, "stream %s is encrypted with %s, the destination's KMS key", d.StreamName, key)
	case strings.Contains(key, "alias/"):
		r.add(CheckEncryption, Warn, "stream %s is encrypted with %s; the destination names key %s: make sure the alias points to it (aws kms describe-key --key-id %s)", d.StreamName, key, d.KMSKeyARN, key)
	default:
		r.add(CheckEncryption, Fail, "stream %s is encrypted with %s, not the destination's KMS key %s; fix: record the stream's key (dest create --kms-key-arn) and apply the policy again", d.StreamName, key, d.KMSKeyARN)
	}
}

// sameKey compares a stream's KeyId (key ARN or key ID) with a key ARN.
func sameKey(keyID, keyARN string) bool {
	return keyID == keyARN || strings.HasSuffix(keyARN, ":key/"+keyID)
}

func (r *run) checkRole(ctx context.Context) {
	if r.iamSkip != "" {
		r.roleSkip = r.iamSkip
		r.add(CheckRole, Skip, "%s", r.iamSkip)
		return
	}
	d := r.d
	arn, err := awsarn.ParseRoleARN(d.RoleARN)
	if err != nil {
		r.roleSkip = "the destination's role ARN is invalid"
		r.add(CheckRole, Fail, "%v", err)
		return
	}
	out, err := r.in.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(arn.RoleName())})
	switch {
	case awserr.Classify(err) == awserr.NotFound:
		r.roleSkip = "the role does not exist"
		r.add(CheckRole, Fail, "role %s does not exist in account %s; fix: ldexport iam apply --dest %s", arn.RoleName(), d.AccountID, d.Name)
		return
	case awserr.IsAccessDenied(err):
		r.roleSkip = "caller lacks iam:GetRole"
		r.add(CheckRole, Skip, "caller lacks iam:GetRole")
		return
	case err != nil:
		r.roleSkip = "the role could not be read"
		r.add(CheckRole, Fail, "%v", awserr.Explain(ctx, err, r.op("IAM", "GetRole", "role "+arn.RoleName())))
		return
	}
	if out.Role == nil {
		r.roleSkip = "the role could not be read"
		r.add(CheckRole, Fail, "GetRole returned no role for %s", arn.RoleName())
		return
	}
	if got := aws.ToString(out.Role.Arn); got != d.RoleARN {
		r.roleSkip = "the role found is not the destination's"
		r.add(CheckRole, Fail, "a role named %s exists as %s, but the destination names %s; fix: correct the destination's --role-arn", arn.RoleName(), got, d.RoleARN)
		return
	}
	r.role = out.Role
	r.add(CheckRole, Pass, "role %s exists%s", d.RoleARN, via("IAM", r.in.Endpoints.IAM))
}

func (r *run) trust() {
	if r.role == nil {
		r.add(CheckTrust, Skip, "%s", r.roleSkip)
		return
	}
	d := r.d
	fix := fmt.Sprintf("; fix: ldexport iam apply --dest %s (or ldexport iam trust --dest %s > trust.json && aws iam update-assume-role-policy --role-name %s --policy-document file://trust.json)", d.Name, d.Name, aws.ToString(r.role.RoleName))
	p, err := parseTrustPolicy(aws.ToString(r.role.AssumeRolePolicyDocument))
	if err != nil {
		r.add(CheckTrust, Fail, "%v%s", err, fix)
		return
	}
	status, detail := evaluateTrust(p, d.ExternalID)
	if status == Fail {
		detail += fix
	}
	r.add(CheckTrust, status, "%s", detail)
}

func (r *run) permissions(ctx context.Context) {
	if r.role == nil {
		r.add(CheckPermissions, Skip, "%s", r.roleSkip)
		return
	}
	d := r.d
	denied, err := r.simulate(ctx, []string{"kinesis:PutRecord", "kinesis:PutRecords"}, d.StreamARN)
	if err == nil && d.KMSKeyARN != "" {
		var kmsDenied []string
		kmsDenied, err = r.simulate(ctx, []string{"kms:GenerateDataKey"}, d.KMSKeyARN)
		denied = append(denied, kmsDenied...)
	}
	switch {
	case awserr.IsAccessDenied(err):
		r.add(CheckPermissions, Skip, "caller lacks iam:SimulatePrincipalPolicy")
	case awserr.IsNotImplemented(err):
		// moto, for one, has no policy simulator.
		why := awserr.Short(err)
		if awserr.Unparsable(err) {
			why = fmt.Sprintf("HTTP %d, not an AWS answer", awserr.HTTPStatus(err))
		}
		r.add(CheckPermissions, Skip, "IAM at %s does not implement SimulatePrincipalPolicy (%s): the role's policies cannot be simulated there; compare them with ldexport iam policy --dest %s", orAWS(r.in.Endpoints.IAM), why, d.Name)
	case err != nil:
		r.add(CheckPermissions, Fail, "%v", awserr.Explain(ctx, err, r.op("IAM", "SimulatePrincipalPolicy", "role "+r.d.RoleARN)))
	case len(denied) > 0:
		r.add(CheckPermissions, Fail, "the role's policies do not allow %s; fix: ldexport iam apply --dest %s (or attach the policy from ldexport iam policy --dest %s)", strings.Join(denied, ", "), d.Name, d.Name)
	default:
		what := "kinesis:PutRecord and kinesis:PutRecords on " + d.StreamARN
		if d.KMSKeyARN != "" {
			what += ", kms:GenerateDataKey on " + d.KMSKeyARN
		}
		r.add(CheckPermissions, Pass, "the role's policies allow %s", what)
	}
}

// simulate asks IAM whether the role may take each action on resource, and
// returns "action: decision on resource" for each action not allowed.
func (r *run) simulate(ctx context.Context, actions []string, resource string) ([]string, error) {
	decisions := map[string]iamtypes.PolicyEvaluationDecisionType{}
	in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(r.d.RoleARN), ActionNames: actions, ResourceArns: []string{resource}}
	for {
		out, err := r.in.IAM.SimulatePrincipalPolicy(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, ev := range out.EvaluationResults {
			decisions[aws.ToString(ev.EvalActionName)] = ev.EvalDecision
		}
		if !out.IsTruncated || out.Marker == nil {
			break
		}
		in.Marker = out.Marker
	}
	var denied []string
	for _, a := range actions {
		dec, ok := decisions[a]
		if !ok {
			dec = "not evaluated"
		}
		if dec != iamtypes.PolicyEvaluationDecisionTypeAllowed {
			denied = append(denied, fmt.Sprintf("%s (%s on %s)", a, dec, resource))
		}
	}
	return denied, nil
}
