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

func message(e *Error) string {
	op := e.Op
	what, fix := "", ""
	detail := ""
	if e.Err != nil {
		detail = Short(e.Err)
	}
	switch e.Kind {
	case Canceled:
		return "interrupted during " + op.Head()
	case Timeout:
		what, fix = timeoutText(e.Err, op)
	case NotFound:
		what = "not found (" + detail + ")"
		fix = "check the name and the region (--region), or create it"
		if op.Endpoint != "" {
			fix = "check the name and the endpoint, or create it there"
		}
	case AccessDenied:
		what = "access denied (" + detail + ")"
		perm := op.Permission
		if perm == "" && op.Service != "" && op.Call != "" {
			perm = strings.ToLower(op.Service) + ":" + op.Call
		}
		fix = "grant the caller " + or(perm, "permission for "+op.Call) + " on it, or use other credentials (--profile)"
	case KMS:
		what = "its KMS key cannot be used (" + detail + ")"
		fix = "enable the key and allow the caller kms:GenerateDataKey on it"
	case Credentials:
		what = "AWS rejected the credentials (" + detail + ")"
		fix = "check --profile / AWS_PROFILE and the credentials it uses, or log in again (aws sso login)"
		if Code(e.Err) == "" {
			what = "no usable AWS credentials (" + detail + ")"
			fix = "set --profile or AWS_PROFILE, run `aws configure`, or log in (aws sso login)"
		}
	case Invalid:
		what = "the request was refused (" + detail + ")"
	case Unsupported:
		what = "the endpoint does not implement " + or(op.Call, "this call") + " (" + detail + ")"
		fix = "use an endpoint (or emulator) that does"
	case Throttled:
		what = "throttled (" + detail + ")"
		fix = "retry later"
		if op.Service == "Kinesis" {
			fix = "retry later, or give the stream more shards (ldexport shards)"
		}
	case ServerError:
		what = "the service failed (" + detail + ")"
		fix = "retry later"
	case BadResponse:
		what = "the answer is not an AWS one (" + detail + ")"
		if st := statusCode(e.Err); st == 401 || st == 403 {
			// A proxy's or firewall's refusal, or an emulator's denial in
			// the wrong format (moto's Kinesis answers XML).
			what = "access denied or credentials rejected: " + what
		}
		fix = "check the endpoint URL and any proxy (HTTPS_PROXY) between you and AWS"
	case Refused:
		what = "connection refused (" + detail + ")"
		fix = "check the network and any proxy"
		if op.Endpoint != "" {
			fix = "start the endpoint, or correct the endpoint URL (--endpoint-url)"
		}
	case Unreachable:
		what = "cannot connect (" + detail + ")"
		fix = "check the endpoint URL, the region and the network"
	case ConnectionLost:
		what = "the connection broke before the answer came (" + detail + ")"
		fix = "retry; check the network and any proxy"
	default:
		what = detail
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
