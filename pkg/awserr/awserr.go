// Package awserr reads AWS errors the way ldexport reports them: by their
// error code, and in one short line without the SDK's request details.
package awserr

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
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
	switch Code(err) {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
		return true
	}
	return false
}

// Short describes err in one line: "Code: message" for an AWS API error
// (dropping the SDK's operation, status code and request ID), what an answer
// that is not an AWS error means (DescribeUnparsable), else err's text.
func Short(err error) string {
	if Unparsable(err) {
		return DescribeUnparsable(err)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if msg := ae.ErrorMessage(); msg != "" {
			return fmt.Sprintf("%s: %s", ae.ErrorCode(), msg)
		}
		return ae.ErrorCode()
	}
	return err.Error()
}
