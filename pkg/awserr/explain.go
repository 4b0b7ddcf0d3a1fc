package awserr

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/smithy-go"
)

// Op names a call for the message: what was asked of which service, about
// which resource, and where the request went.
type Op struct {
	Service  string // "Kinesis", "IAM", "STS"
	Call     string // the API operation, "PutRecords"
	Resource string // `stream "ld-events"`, `role "ld-export"`; empty for none
	Region   string
	// Endpoint is the URL the request went to when it is not AWS's own
	// endpoint for Region (a local emulator, --endpoint-url).
	Endpoint string
	// Permission is the IAM action the call needs ("kinesis:PutRecords"),
	// named in the fix for AccessDenied.
	Permission string
	// DeadlineFlag is the flag that sets the command's deadline, named in
	// the fix for a timeout ("--timeout").
	DeadlineFlag string
}

// Error is a failed AWS call, explained: its message is one line naming the
// call, the resource, where it went, what happened and the fix.
type Error struct {
	Op   Op
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return message(e) }

// Unwrap returns the cause. For a timeout that is the *Deadline (or
// context.DeadlineExceeded), for an interrupt context.Canceled, never the
// SDK's chain, which can hold "context canceled" after a deadline.
func (e *Error) Unwrap() error { return e.Err }

// Explain returns err, from a call made under ctx, as an *Error. The
// context decides first: after an interrupt the kind is Canceled, after a
// WithDeadline deadline Timeout naming it, whatever err says. nil stays
// nil; an *Error is returned as it is.
func Explain(ctx context.Context, err error, op Op) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	// The SDK's chain names the service and the call when op does not.
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		if op.Service == "" {
			op.Service = oe.ServiceID
		}
		if op.Call == "" {
			op.Call = oe.OperationName
		}
	}
	// The request's URL names the endpoint when op does not (AWS's own, or
	// one from AWS_ENDPOINT_URL_*).
	var ue *url.Error
	if op.Endpoint == "" && errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			op.Endpoint = u.Scheme + "://" + u.Host
		}
	}
	if ce := ContextErr(ctx, op); ce != nil {
		return ce
	}
	k := Classify(err)
	switch k {
	case Canceled:
		return &Error{Op: op, Kind: Canceled, Err: context.Canceled}
	case Timeout:
		var dl *Deadline
		if errors.As(err, &dl) {
			return &Error{Op: op, Kind: Timeout, Err: &timeoutCause{dl: dl, err: err}}
		}
		return &Error{Op: op, Kind: Timeout, Err: &timeoutCause{err: err}}
	}
	return &Error{Op: op, Kind: k, Err: err}
}

// timeoutCause keeps a timeout's details for the message while hiding the
// SDK chain (which can hold context.Canceled) from errors.Is.
type timeoutCause struct {
	dl  *Deadline
	err error
}

func (t *timeoutCause) Error() string        { return Short(t.err) }
func (t *timeoutCause) Is(target error) bool { return target == context.DeadlineExceeded }

// Head names the call and where it went: "Kinesis PutRecords on stream "s" in us-east-1".
func (o Op) Head() string {
	var b strings.Builder
	b.WriteString(o.Service)
	if o.Call != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(o.Call)
	}
	if o.Resource != "" {
		b.WriteString(" on " + o.Resource)
	}
	switch {
	case o.Endpoint != "":
		b.WriteString(" at " + o.Endpoint)
	case o.Region != "":
		b.WriteString(" in " + o.Region)
	}
	return b.String()
}

// explanations say what each kind of failure is (the error's own words
// follow in parentheses) and how to fix it; message fits some to the call.
var explanations = map[Kind]struct{ what, fix string }{
	NotFound:       {"not found", "check the name and the region (--region), or create it"},
	AccessDenied:   {"access denied", "use other credentials (--profile)"},
	KMS:            {"its KMS key cannot be used", "enable the key and allow the caller kms:GenerateDataKey on it"},
	Credentials:    {"AWS rejected the credentials", "check --profile / AWS_PROFILE and the credentials it uses, or log in again (aws sso login)"},
	Invalid:        {"the request was refused", ""},
	Unsupported:    {"the endpoint does not implement this call", "use an endpoint (or emulator) that does"},
	Throttled:      {"throttled", "retry later"},
	ServerError:    {"the service failed", "retry later"},
	BadResponse:    {"the answer is not an AWS one", "check the endpoint URL and any proxy (HTTPS_PROXY) between you and AWS"},
	Refused:        {"connection refused", "check the network and any proxy"},
	Unreachable:    {"cannot connect", "check the endpoint URL, the region and the network"},
	ConnectionLost: {"the connection broke before the answer came", "retry; check the network and any proxy"},
}

func message(e *Error) string {
	op := e.Op
	detail := ""
	if e.Err != nil {
		detail = Short(e.Err)
	}
	var what, fix string
	ex, explained := explanations[e.Kind]
	switch {
	case e.Kind == Canceled:
		return "interrupted during " + op.Head()
	case e.Kind == Timeout:
		what, fix = timeoutText(e.Err, op)
	case !explained:
		what = detail
	default:
		what, fix = ex.what+" ("+detail+")", ex.fix
	}
	// Fit the explanation to the call.
	switch e.Kind {
	case NotFound:
		if op.Endpoint != "" {
			fix = "check the name and the endpoint, or create it there"
		}
	case AccessDenied:
		perm := op.Permission
		if perm == "" && op.Service != "" && op.Call != "" {
			perm = strings.ToLower(op.Service) + ":" + op.Call
		}
		fix = "grant the caller " + or(perm, "permission for "+op.Call) + " on it, or " + fix
	case Credentials:
		if Code(e.Err) == "" {
			what = "no usable AWS credentials (" + detail + ")"
			fix = "set --profile or AWS_PROFILE, run `aws configure`, or log in (aws sso login)"
		}
	case Unsupported:
		if op.Call != "" {
			what = "the endpoint does not implement " + op.Call + " (" + detail + ")"
		}
	case Throttled:
		if op.Service == "Kinesis" {
			fix = "retry later, or give the stream more shards (ldexport shards)"
		}
	case BadResponse:
		if st := statusCode(e.Err); st == 401 || st == 403 {
			// A proxy's or firewall's refusal, or an emulator's denial in
			// the wrong format (moto's Kinesis answers XML).
			what = "access denied or credentials rejected: " + what
		}
	case Refused:
		if op.Endpoint != "" {
			fix = "start the endpoint, or correct the endpoint URL (--endpoint-url)"
		}
	}
	s := op.Head() + ": " + what
	if fix != "" {
		s += "; fix: " + fix
	}
	return s
}

func timeoutText(err error, op Op) (what, fix string) {
	var dl *Deadline
	if tc, ok := err.(*timeoutCause); ok {
		dl = tc.dl
		if dl == nil {
			return "timed out with no answer (" + Short(tc.err) + ")", "check that the endpoint is up and answers"
		}
	} else {
		errors.As(err, &dl)
	}
	if dl == nil {
		return "timed out with no answer", "check that the endpoint is up and answers"
	}
	what = fmt.Sprintf("timed out after %s (%s) with no answer", dl.After, dl.Name)
	fix = "check that the endpoint is up and answers"
	if strings.HasPrefix(dl.Name, "--") {
		fix += ", or allow more time with " + dl.Name
	} else if op.DeadlineFlag != "" {
		fix += ", or allow more time with " + op.DeadlineFlag
	}
	return what, fix
}

func or(s, alt string) string {
	if s != "" {
		return s
	}
	return alt
}
