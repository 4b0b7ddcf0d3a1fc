package launchdarkly

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
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
		rep.Message = redactToken(rep.Message, c.cfg.Token)
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
	msg := redactToken(strings.Join(strings.Fields(rep.Message), " "), c.cfg.Token)
	return &APIError{Op: op, Status: status, Code: rep.Code, Message: msg, Permission: perm}
}

// minSecretLen is the length from which a token is redacted wherever it
// stands. A shorter one (no LaunchDarkly access token is) is redacted only as
// a whole word: replacing every "e" would garble the message and hide nothing.
const minSecretLen = 8

// redactToken replaces token in s with "[redacted]".
func redactToken(s, token string) string {
	if token == "" {
		return s
	}
	if len(token) >= minSecretLen {
		return strings.ReplaceAll(s, token, "[redacted]")
	}
	var b strings.Builder
	done := 0 // s[:done] is written
	for from := 0; ; {
		i := strings.Index(s[from:], token)
		if i < 0 {
			break
		}
		start, end := from+i, from+i+len(token)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if !isTokenRune(before) && !isTokenRune(after) {
			b.WriteString(s[done:start])
			b.WriteString("[redacted]")
			done = end
		}
		from = start + 1
	}
	b.WriteString(s[done:])
	return b.String()
}

// isTokenRune reports whether r can be part of a word-like token (letters,
// digits, '-', '_'); utf8.RuneError, for the start or end of s, cannot.
func isTokenRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_')
}
