package awserr

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
)

func TestCodeShortAndAccessDenied(t *testing.T) {
	wrapped := fmt.Errorf("operation error Kinesis: PutRecord, https response error StatusCode: 400, RequestID: x, %w",
		&smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Stream s under account 1 not found."})
	tests := []struct {
		err    error
		code   string
		short  string
		denied bool
	}{
		{wrapped, "ResourceNotFoundException", "ResourceNotFoundException: Stream s under account 1 not found.", false},
		{&smithy.GenericAPIError{Code: "AccessDeniedException"}, "AccessDeniedException", "AccessDeniedException", true},
		{&smithy.GenericAPIError{Code: "AccessDenied", Message: "no"}, "AccessDenied", "AccessDenied: no", true},
		{&smithy.GenericAPIError{Code: "UnauthorizedOperation"}, "UnauthorizedOperation", "UnauthorizedOperation", true},
		{errors.New("dial tcp: refused"), "", "dial tcp: refused", false},
	}
	for _, tt := range tests {
		if got := Code(tt.err); got != tt.code {
			t.Errorf("Code(%v) = %q, want %q", tt.err, got, tt.code)
		}
		if got := Short(tt.err); got != tt.short {
			t.Errorf("Short(%v) = %q, want %q", tt.err, got, tt.short)
		}
		if got := IsAccessDenied(tt.err); got != tt.denied {
			t.Errorf("IsAccessDenied(%v) = %v", tt.err, got)
		}
	}
}
