// Package quote shows a user's input inside an error line: quoted with Go
// escapes, so a newline or a terminal escape sequence cannot break the line
// or colour the terminal, and cut short, so a 100,000-character value does
// not become a 100,000-character error.
package quote

import (
	"strconv"
	"unicode/utf8"
)

// maxRunes is how much of a value Input shows before cutting it short.
const maxRunes = 80

// Input returns s as a quoted Go string literal. A value longer than
// maxRunes runes shows its first maxRunes runes, then how long it was.
func Input(s string) string {
	n := utf8.RuneCountInString(s)
	if n <= maxRunes {
		return strconv.Quote(s)
	}
	cut, i := 0, 0
	for i = range s {
		if cut == maxRunes {
			break
		}
		cut++
	}
	return strconv.Quote(s[:i]) + "… (" + strconv.Itoa(n) + " characters)"
}
