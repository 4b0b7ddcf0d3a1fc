package awserr

import (
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// HTTPStatus returns the HTTP status of the response err came with, or 0
// when no response came back.
func HTTPStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// Unparsable reports whether err is an HTTP error answer whose body is not an
// AWS error document the SDK could read a code from: an HTML page from a
// proxy or firewall, XML where JSON was expected (moto's Kinesis denials), or
// a server that does not implement the operation.
func Unparsable(err error) bool {
	if status := HTTPStatus(err); status < 300 {
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
	status := HTTPStatus(err)
	return status >= 400 && status < 500
}

// IsNotImplemented reports whether the service answered that it does not
// implement the operation: an error code saying so, or (emulators) an answer
// that is not an AWS error at all with a status a missing operation gets.
func IsNotImplemented(err error) bool {
	switch Code(err) {
	case "InvalidAction", "NotImplemented", "UnknownOperationException", "UnsupportedOperation":
		return true
	}
	if !Unparsable(err) {
		return false
	}
	switch HTTPStatus(err) {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusInternalServerError, http.StatusNotImplemented:
		return true
	}
	return false
}

// DescribeUnparsable says in one line what an answer without a readable AWS
// error means: "HTTP 403 that is not an AWS error (an HTML page from a proxy
// or firewall?): access denied or credentials rejected".
func DescribeUnparsable(err error) string {
	status := HTTPStatus(err)
	meaning := ""
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		meaning = ": access denied or credentials rejected"
	case http.StatusNotFound:
		meaning = ": the endpoint has no such resource or operation"
	case http.StatusRequestEntityTooLarge:
		meaning = ": the request is too large for the endpoint"
	}
	return fmt.Sprintf("HTTP %d %s with a body that is not an AWS error (a proxy, firewall or emulator answered?)%s", status, http.StatusText(status), meaning)
}

// IsConnection reports whether err is a failure to reach the endpoint at all
// (refused, unreachable, no such host), as opposed to an
// answer the endpoint gave.
func IsConnection(err error) bool {
	if HTTPStatus(err) != 0 {
		return false
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}
