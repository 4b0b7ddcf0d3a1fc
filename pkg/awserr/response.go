package awserr

import (
	"errors"
	"net/http"

	"github.com/aws/smithy-go"
)

// HTTPStatus returns the HTTP status of the answer behind err, or 0 when no
// answer came.
func HTTPStatus(err error) int { return statusCode(err) }

// Unparsable reports whether err is an HTTP error answer whose body is not an
// AWS error document the SDK could read a code from: an HTML page from a
// proxy or firewall, XML where JSON was expected (moto's Kinesis denials), or
// a server that does not implement the operation.
func Unparsable(err error) bool {
	if statusCode(err) < 300 {
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return false
	}
	var de *smithy.DeserializationError
	return errors.As(err, &de)
}

// IsClientError reports whether err is an HTTP 4xx answer: the request
// itself was refused, and sending it again unchanged gets the same answer.
func IsClientError(err error) bool {
	status := statusCode(err)
	return status >= 400 && status < 500
}

// IsNotImplemented reports whether the service answered that it does not
// implement the operation: an error code saying so, or (emulators) an answer
// that is not an AWS error at all with a status a missing operation gets.
func IsNotImplemented(err error) bool {
	if Classify(err) == Unsupported {
		return true
	}
	switch Code(err) {
	case "InvalidAction", "NotImplemented", "UnsupportedOperation":
		return true
	}
	if !Unparsable(err) {
		return false
	}
	switch statusCode(err) {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusInternalServerError, http.StatusNotImplemented:
		return true
	}
	return false
}
