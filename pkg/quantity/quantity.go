// Package quantity parses the counts operators type on the command line:
// 50000000, 50_000_000, 50M, 1.5B, 2k, 5e7. Shared by shards, gen and dest check.
package quantity

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strings"
	"sync"
)

var (
	numberRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$`)
	})
	suffixes = map[byte]int64{'k': 1e3, 'm': 1e6, 'b': 1e9, 'g': 1e9, 't': 1e12}
)

// ParseCount parses a whole, non-negative count written as digits
// (50000000), with underscores between digits (50_000_000), with a decimal
// suffix k, M, B (or G) or T, any case (50M, 1.5B, 2k), or in E notation
// (5e7). The value must be a whole number that fits in an int64.
func ParseCount(s string) (int64, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty count: want a number such as 50000000, 50M or 1.5B")
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("invalid count %q: must not be negative", orig)
	}
	mult := int64(1)
	if m, ok := suffixes[lower(s[len(s)-1])]; ok && len(s) > 1 {
		mult = m
		s = s[:len(s)-1]
	}
	s, err := dropUnderscores(s)
	if err != nil || !numberRe().MatchString(s) {
		return 0, fmt.Errorf("invalid count %q: want a number such as 50000000, 50_000_000, 50M, 1.5B or 5e7", orig)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, fmt.Errorf("invalid count %q: want a number such as 50000000, 50M or 1.5B", orig)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	if !r.IsInt() {
		return 0, fmt.Errorf("invalid count %q: not a whole number", orig)
	}
	n := r.Num()
	if !n.IsInt64() {
		return 0, fmt.Errorf("invalid count %q: too large (at most %d)", orig, int64(math.MaxInt64))
	}
	return n.Int64(), nil
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// dropUnderscores removes underscores that sit between two digits, as Go
// number literals allow, and rejects any other underscore.
func dropUnderscores(s string) (string, error) {
	if !strings.Contains(s, "_") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '_' {
			if i == 0 || i == len(s)-1 || !isDigit(s[i-1]) || !isDigit(s[i+1]) {
				return "", errors.New("misplaced underscore")
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String(), nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
