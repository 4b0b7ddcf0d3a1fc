// Package awserr is ldexport's one vocabulary for AWS errors: what a failed
// AWS call means (its Kind: throttled, not found, access denied, a timeout,
// a refused connection...), whether a retry can help or the request may have
// taken effect anyway, and the one line a user reads, naming the call, the
// resource, where it was sent and the fix.
//
// Every command explains the errors of its AWS calls with Explain; the
// sender decides its retries with Classify, CodeKind (a PutRecords result
// entry's code), Fatal, MaybeDone and Overloaded.
package awserr

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Code returns the AWS error code of err ("ResourceNotFoundException"), or "".
func Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// IsAccessDenied reports whether err is an authorisation failure, under any
// of the codes AWS services use for it.
func IsAccessDenied(err error) bool {
	return Classify(err) == AccessDenied
}

// Short describes err in one line without the SDK's request details:
// "Code: message" for an AWS API error, the HTTP status and the innermost
// cause for an answer that is not one ("HTTP 502: ..."), or the innermost
// cause of a transport error ("dial tcp 127.0.0.1:1: connect: connection
// refused").
func Short(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if msg := ae.ErrorMessage(); msg != "" {
			return fmt.Sprintf("%s: %s", ae.ErrorCode(), oneLine(msg))
		}
		return ae.ErrorCode()
	}
	var dl *Deadline
	if errors.As(err, &dl) {
		return dl.Error()
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		s := "unreadable answer"
		if st := statusCode(err); st != 0 {
			s = fmt.Sprintf("HTTP %d, unreadable answer", st)
		}
		if snap := snapshot(de.Snapshot); snap != "" {
			s += fmt.Sprintf(" %q", snap)
		} else if de.Err != nil {
			s += ": " + oneLine(de.Err.Error())
		}
		return s
	}
	return oneLine(innermost(err).Error())
}

// innermost returns the deepest error of err's chain that still says what
// happened: the SDK's wrappers ("operation error ...", "https response
// error ...", "request send failed", "exceeded maximum number of attempts")
// and url.Error's "Post URL:" are dropped, down to the net/http or net error.
func innermost(err error) error {
	// Wrappers of ours around the SDK's error add nothing the message lacks.
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	for {
		var next error
		switch e := err.(type) {
		case *smithy.OperationError:
			next = e.Err
		case *awshttp.ResponseError:
			next = e.Err
		case *smithyhttp.ResponseError:
			next = e.Err
		case *smithyhttp.RequestSendError:
			next = e.Err
		case *retry.MaxAttemptsError:
			next = e.Err
		case *url.Error:
			next = e.Err
		}
		if next == nil {
			return err
		}
		err = next
	}
}

// statusCode is the HTTP status of the answer behind err, or 0 when none came.
func statusCode(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// snapshot is the start of a body that was not an AWS answer, on one line.
func snapshot(b []byte) string {
	s := oneLine(strings.ToValidUTF8(string(b), "?"))
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return s
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
