package launchdarkly

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// APIError is an error answer from LaunchDarkly: its status, code and message.
type APIError struct {
	Op      string // what was asked, e.g. "create destination default/production"
	Status  int
	Code    string
	Message string
	// Permission is the custom-role action a 401/403 says the token lacks.
	Permission string
}

func (e *APIError) Error() string {
	switch e.Status {
	case http.StatusUnauthorized:
		return fmt.Sprintf("LaunchDarkly %s: the access token was refused (401 %s: %s): check LAUNCHDARKLY_ACCESS_TOKEN; it needs %s", e.Op, e.Code, e.Message, e.Permission)
	case http.StatusForbidden:
		return fmt.Sprintf("LaunchDarkly %s: the access token lacks access (403 %s: %s): it needs %s", e.Op, e.Code, e.Message, e.Permission)
	}
	return fmt.Sprintf("LaunchDarkly %s: %s: %s (HTTP %d)", e.Op, e.Code, e.Message, e.Status)
}

// IsStatus reports whether err is an APIError with that HTTP status.
func IsStatus(err error, status int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == status
}

// apiError reads LaunchDarkly's {"code","message"} body into an APIError;
// the message is kept to one line and never contains the token.
func (c *Client) apiError(op, perm string, status int, body []byte) error {
	var rep struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &rep) != nil || rep.Code == "" {
		rep.Code = strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_")
		rep.Message = strings.TrimSpace(string(body))
		// Redacted before the cut, which could otherwise leave a prefix
		// of the token that no longer matches it.
		if c.cfg.Token != "" {
			rep.Message = strings.ReplaceAll(rep.Message, c.cfg.Token, "[redacted]")
		}
		if len(rep.Message) > 200 {
			cut := 200
			for cut > 0 && !utf8.RuneStart(rep.Message[cut]) {
				cut--
			}
			rep.Message = rep.Message[:cut] + "..."
		}
		if rep.Message == "" {
			rep.Message = http.StatusText(status)
		}
	}
	msg := strings.Join(strings.Fields(rep.Message), " ")
	if c.cfg.Token != "" {
		msg = strings.ReplaceAll(msg, c.cfg.Token, "[redacted]")
	}
	return &APIError{Op: op, Status: status, Code: rep.Code, Message: msg, Permission: perm}
}
