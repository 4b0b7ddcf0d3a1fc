package awserr

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"

	"github.com/aws/smithy-go"
)

// Kind is what a failed AWS call means to the user and to a retry.
type Kind int

// The kinds of failure. A new kind goes here, in kindNames, in Fatal or
// retry decisions as fits, and in message.
const (
	// Other is an AWS error code with no meaning of its own here.
	Other Kind = iota
	// Throttled: the service asked to slow down (per shard, per account, KMS).
	Throttled
	// NotFound: the stream, role or key does not exist (where it was looked for).
	NotFound
	// AccessDenied: the caller's credentials work but lack a permission.
	AccessDenied
	// KMS: the stream's KMS key cannot be used (denied, disabled, missing).
	KMS
	// Credentials: AWS did not accept the credentials (unknown, expired, bad signature).
	Credentials
	// Invalid: the request was refused as invalid (a client error, 4xx).
	Invalid
	// Unsupported: the endpoint does not implement the call (some emulators).
	Unsupported
	// ServerError: the service failed (HTTP 5xx, InternalFailure).
	ServerError
	// BadResponse: an answer that is not AWS's (an HTML error page from a
	// proxy, an unreadable body).
	BadResponse
	// Timeout: no answer in time (a command's deadline or a per-attempt limit).
	Timeout
	// Canceled: the user interrupted the command.
	Canceled
	// Refused: nothing accepts connections at the endpoint.
	Refused
	// Unreachable: the endpoint's host cannot be resolved or reached.
	Unreachable
	// ConnectionLost: the connection broke after the request went out,
	// before the whole answer came back.
	ConnectionLost
)

var kindNames = map[Kind]string{
	Other: "error", Throttled: "throttled", NotFound: "not found", AccessDenied: "access denied",
	KMS: "KMS key unusable", Credentials: "credentials rejected", Invalid: "invalid request",
	Unsupported: "unsupported call", ServerError: "server error", BadResponse: "not an AWS answer",
	Timeout: "timed out", Canceled: "interrupted", Refused: "connection refused",
	Unreachable: "unreachable", ConnectionLost: "connection lost",
}

func (k Kind) String() string { return kindNames[k] }

// Fatal reports whether no retry of the same request can succeed: the user
// must fix something first.
func (k Kind) Fatal() bool {
	switch k {
	case NotFound, AccessDenied, KMS, Credentials, Invalid, Unsupported:
		return true
	}
	return false
}

// codeKinds are the AWS error codes (of Kinesis, IAM, STS and KMS) with a
// meaning; any other code is Other, or Invalid when answered with a 4xx.
var codeKinds = map[string]Kind{
	"ProvisionedThroughputExceededException": Throttled,
	"KMSThrottlingException":                 Throttled,
	"LimitExceededException":                 Throttled,
	"ThrottlingException":                    Throttled,
	"Throttling":                             Throttled,
	"TooManyRequestsException":               Throttled,
	"RequestLimitExceeded":                   Throttled,
	"SlowDown":                               Throttled,

	"ResourceNotFoundException": NotFound,
	"NoSuchEntity":              NotFound,
	"NotFoundException":         NotFound,

	"AccessDenied":          AccessDenied,
	"AccessDeniedException": AccessDenied,
	"UnauthorizedOperation": AccessDenied,

	"KMSAccessDeniedException": KMS,
	"KMSDisabledException":     KMS,
	"KMSNotFoundException":     KMS,
	"KMSInvalidStateException": KMS,
	"KMSOptInRequired":         KMS,

	"UnrecognizedClientException": Credentials,
	"InvalidSignatureException":   Credentials,
	"SignatureDoesNotMatch":       Credentials,
	"IncompleteSignature":         Credentials,
	"MissingAuthenticationToken":  Credentials,
	"ExpiredTokenException":       Credentials,
	"ExpiredToken":                Credentials,
	"InvalidClientTokenId":        Credentials,
	"InvalidAccessKeyId":          Credentials,
	"RequestExpired":              Credentials,

	"ValidationException":       Invalid,
	"ValidationError":           Invalid,
	"InvalidArgumentException":  Invalid,
	"InvalidParameterValue":     Invalid,
	"MalformedPolicyDocument":   Invalid,
	"SerializationException":    Invalid,
	"UnknownOperationException": Unsupported,

	"InternalFailure":     ServerError,
	"InternalError":       ServerError,
	"InternalServerError": ServerError,
	"ServiceUnavailable":  ServerError,
	"ServiceFailure":      ServerError,
}

// CodeKind is the kind of an AWS error code, as found in a PutRecords
// result entry; Other for a code with no meaning here.
func CodeKind(code string) Kind {
	return codeKinds[code]
}

// Classify says what err, returned by an AWS call, means. A context
// error says Canceled or Timeout whatever the call was doing.
func Classify(err error) Kind {
	switch {
	case err == nil:
		return Other
	case errors.Is(err, context.Canceled):
		return Canceled
	case isTimeout(err):
		return Timeout
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if k, ok := codeKinds[ae.ErrorCode()]; ok {
			return k
		}
		switch st := statusCode(err); {
		case st >= 500:
			return ServerError
		case st >= 400:
			return Invalid // an unknown client error: retrying will not help
		}
		return Other
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		return BadResponse
	}
	switch {
	case noCredentials(err):
		return Credentials
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case isDNS(err), isDial(err):
		return Unreachable
	}
	if st := statusCode(err); st >= 500 {
		return ServerError
	} else if st >= 400 {
		return BadResponse
	}
	return ConnectionLost
}

// MaybeDone reports whether the request behind err may have taken effect
// although the call failed: it went out and no answer said it failed
// (a lost connection, a timeout after connecting, an unreadable 200). A
// retry may then repeat it (a PutRecords stores its records twice).
func MaybeDone(err error) bool {
	switch Classify(err) {
	case ConnectionLost:
		return true
	case Timeout:
		return !isDial(err)
	case BadResponse:
		return statusCode(err) < 300
	}
	return false
}

// Fatal reports whether no retry of the request behind err can succeed:
// its Kind is Fatal, or the answer is a 4xx that is not an AWS error (a
// proxy's or firewall's HTML page, an emulator's XML), which is an answer,
// not a hiccup: sending the request again gets it again.
func Fatal(err error) bool {
	return Classify(err).Fatal() || (Unparsable(err) && IsClientError(err))
}

// Overloaded reports whether err says the endpoint is overloaded, so that a
// client should send less rather than retry harder: a 5xx answer (an AWS
// error or a load balancer's page), or no answer in time. Throttling is
// not included: it has its own Kind.
func Overloaded(err error) bool {
	switch Classify(err) {
	case ServerError, Timeout:
		return true
	case BadResponse:
		return Unparsable(err) && !IsClientError(err)
	}
	return false
}

// noCredentials recognises the SDK's failure to find credentials at all
// (before any request went out).
func noCredentials(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "get credentials") || strings.Contains(msg, "failed to refresh cached credentials") ||
		strings.Contains(msg, "failed to retrieve credentials")
}

func isTimeout(err error) bool {
	var dl *Deadline
	if errors.As(err, &dl) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isDNS(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de)
}

// isDial reports whether err happened while connecting: the request never went out.
func isDial(err error) bool {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return true
	}
	return isDNS(err) || strings.Contains(err.Error(), "TLS handshake timeout")
}
