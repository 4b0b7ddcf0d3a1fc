package ndjson

import (
	"encoding/binary"
	"math/bits"
)

// validObject reports whether data is one JSON object with white space
// around it, in one pass and without allocating for the usual depths. It
// accepts exactly what encoding/json.Valid accepts when the first byte that
// is not white space is '{' (FuzzObjectMatchesEncodingJSON): RFC 8259's
// grammar, control characters only as escapes in strings, any other byte
// (invalid UTF-8 too) inside strings, and at most maxDepth nested objects
// and arrays, the outer object included.
//
// It replaces fastjson.ValidateBytes plus hasControl: each byte is looked at
// once, strings eight or sixteen bytes at a time (past a string's first
// sixteen, 32 at a time with AVX2 on amd64). The common paths of
// exported events (no white space between tokens, short strings followed by
// ':' or ',', small numbers) are tried first and inline.
func validObject(data []byte) bool {
	// The sequences that join tokens in exported events, as little-endian
	// words: a key's closing quote and colon, then maybe a string's opening
	// quote; a string's closing quote, a comma and the next one's opening
	// quote; a comma and an opening quote.
	const (
		quoteColon      = '"' | ':'<<8
		quoteColonQuote = quoteColon | '"'<<16
		quoteCommaQuote = '"' | ','<<8 | '"'<<16
		commaQuote      = ',' | '"'<<8
	)
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i++
	// kinds holds the kind of each open container, the innermost in bit 0
	// (set for an array), under a sentinel bit; the outer object is the
	// first. Past 63 levels, full words of it move to outer.
	kinds := uint64(0b10)
	var outer nesting
	var c byte

objectStart: // after '{'
	i = skipSpace(data, i)
	if i < len(data) && data[i] == '}' {
		i++
		goto closed
	}
key: // a member's key, after '{' or ',' and white space
	if i >= len(data) || data[i] != '"' {
		return false
	}
	i++
keyString: // a key's contents
	if len(data)-i >= 16 {
		// Most keys are short and followed by ':' and often a string.
		// j is the first byte that may be special (a quote, backslash or
		// control byte): the first one in the word at i, or the byte
		// after it. If it is a quote, it closes the key.
		m := stringSpecials(load64(data, i))
		n := bits.TrailingZeros64(m) >> 3
		j := i + n
		if t := load64(data, j); t&0xffffff == quoteColonQuote {
			if n < 6 && len(data)-i >= 24 {
				// A short key and a short string value: the value's
				// closing quote, if it is in the key's word or the next,
				// is found from words loaded before the key's end is
				// known (saving a load's wait). The key's closing quote
				// and the value's opening one are m's two lowest flags
				// (':' is never flagged); the next one marks the first
				// special byte of the value unless a false flag stands
				// there ('#' just after a quote), so it must be a quote.
				// And '","' after it leads to a key, as this is an object.
				m &= m - 1
				m &= m - 1
				k := i + bits.TrailingZeros64(m)>>3
				if m == 0 {
					k = i + 8 + bits.TrailingZeros64(stringSpecials(load64(data, i+8)))>>3
				}
				if t := load64(data, k); t&0xffffff == quoteCommaQuote {
					i = k + 3
					goto keyString
				} else if t&0xff == '"' {
					i = k + 1
					goto afterValue
				}
			}
			i = j + 3
			goto valueString
		} else if t&0xffff == quoteColon {
			i = skipSpace(data, j+2)
			goto value
		}
	}
	if i = skipString(data, i); i < 0 {
		return false
	}
	i = skipSpace(data, i)
	if i >= len(data) || data[i] != ':' {
		return false
	}
	i = skipSpace(data, i+1)
value: // a value, after white space
	if i >= len(data) {
		return false
	}
	c = data[i]
	if c == '"' {
		i++
		goto valueString
	}
	switch valueClass[c] {
	case classDigit:
		// Unsigned integers are the common numbers; anything else is
		// checked from the start by skipNumber.
		j := skipDigits(data, i+1)
		if (c != '0' || j == i+1) && (j >= len(data) || data[j] != '.' && data[j]|0x20 != 'e') {
			i = j
			goto afterValue
		}
		if i = skipNumber(data, i); i < 0 {
			return false
		}
	case classMinus:
		if i = skipNumber(data, i); i < 0 {
			return false
		}
	case classObject:
		if kinds>>63 == 0 && len(outer.words) == 0 {
			kinds <<= 1
		} else if kinds = outer.push(kinds, 0); kinds == 0 {
			return false
		}
		i++
		goto objectStart
	case classArray:
		if kinds>>63 == 0 && len(outer.words) == 0 {
			kinds = kinds<<1 | 1
		} else if kinds = outer.push(kinds, 1); kinds == 0 {
			return false
		}
		i = skipSpace(data, i+1)
		if i < len(data) && data[i] == ']' {
			i++
			goto closed
		}
		goto value
	case classTrue:
		if !hasWord(data, i, "true") {
			return false
		}
		i += 4
	case classFalse:
		if len(data)-i < 5 || string(data[i:i+5]) != "false" {
			return false
		}
		i += 5
	case classNull:
		if !hasWord(data, i, "null") {
			return false
		}
		i += 4
	default:
		return false
	}
	goto afterValue
valueString: // a string value's contents
	if len(data)-i >= 16 {
		// As for keys: j is the first byte that may be special.
		j := i + bits.TrailingZeros64(stringSpecials(load64(data, i)))>>3
		if t := load64(data, j); t&0xffffff == quoteCommaQuote {
			i = j + 3
			if kinds&1 != 0 {
				goto valueString
			}
			goto keyString
		} else if t&0xff == '"' {
			i = j + 1
			goto afterValue
		}
	}
	if i = skipString(data, i); i < 0 {
		return false
	}
afterValue: // after a value inside the innermost container
	// Most often a comma and the next key or string follow.
	if len(data)-i >= 2 && binary.LittleEndian.Uint16(data[i:i+2:i+2]) == commaQuote {
		i += 2
		if kinds&1 != 0 {
			goto valueString
		}
		goto keyString
	}
	if i >= len(data) {
		return false
	}
	c = data[i]
	if c <= ' ' {
		if i = skipSpace(data, i); i >= len(data) {
			return false
		}
		c = data[i]
	}
	if c == ',' {
		i = skipSpace(data, i+1)
		if kinds&1 != 0 {
			goto value
		}
		goto key
	}
	// '}' closes an object, ']' (0x20 less) an array.
	if c != '}'-0x20*byte(kinds&1) {
		return false
	}
	i++
closed: // after the '}' or ']' that closed the innermost container
	if kinds >>= 1; kinds == 1 {
		if len(outer.words) == 0 {
			return skipSpace(data, i) == len(data)
		}
		kinds = outer.pop()
	}
	goto afterValue
}

// nesting holds the words of validObject's kinds that filled up.
type nesting struct {
	words []uint64
}

// push returns kinds with a container of the given kind (1 for an array)
// pushed on it, moving kinds to n.words first if it is full; or 0 if that
// is more than maxDepth levels.
func (n *nesting) push(kinds, kind uint64) uint64 {
	if kinds>>63 != 0 {
		n.words = append(n.words, kinds)
		kinds = 1
	}
	if 63*len(n.words)+bits.Len64(kinds)-1 >= maxDepth {
		return 0
	}
	return kinds<<1 | kind
}

// pop returns the last word moved to n.words, removing it.
func (n *nesting) pop() uint64 {
	k := n.words[len(n.words)-1]
	n.words = n.words[:len(n.words)-1]
	return k
}

// maxDepth is encoding/json's nesting limit (scanner.go's maxNestingDepth).
const maxDepth = 10000

// The classes of a value's first byte other than '"', for validObject.
const (
	classInvalid = iota
	classDigit
	classMinus
	classObject
	classArray
	classTrue
	classFalse
	classNull
)

var valueClass = [256]uint8{
	'0': classDigit, '1': classDigit, '2': classDigit, '3': classDigit, '4': classDigit,
	'5': classDigit, '6': classDigit, '7': classDigit, '8': classDigit, '9': classDigit,
	'-': classMinus, '{': classObject, '[': classArray, 't': classTrue, 'f': classFalse, 'n': classNull,
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space. Events rarely have any, so the first byte is checked
// inline.
func skipSpace(data []byte, i int) int {
	if i < len(data) && data[i] > ' ' {
		return i
	}
	return skipSpaceSlow(data, i)
}

func skipSpaceSlow(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// hasWord reports whether the 4-byte word w is at data[i:].
func hasWord(data []byte, i int, w string) bool {
	return len(data)-i >= 4 && binary.LittleEndian.Uint32(data[i:]) == binary.LittleEndian.Uint32([]byte(w))
}

// load64 returns the little-endian word at data[i:i+8]. (The full slice
// expression spares the masking data[i:] needs in case it is empty.)
func load64(data []byte, i int) uint64 {
	return binary.LittleEndian.Uint64(data[i : i+8 : i+8])
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// stringSpecials flags the high bit of each byte of the little-endian word
// w that is a quote, a backslash or a control byte. The lowest flag is
// always right (Bit Twiddling Hacks' haszero and hasless): a borrow only
// moves up from a flagged byte, so a false flag can only sit above a true
// one. Flipping bit 1 maps the quote to ' ' and control bytes below it, and
// nothing else below '!', so one test finds both; a byte with its high bit
// set is none of them.
func stringSpecials(w uint64) uint64 {
	qc := w ^ (0x02 * ones)
	b := w ^ ('\\' * ones)
	return ((qc - '!'*ones) | (b - ones)) &^ w & highs
}

// skipString checks a string's contents from i, just after its opening
// quote, and returns the index after its closing quote, or -1.
func skipString(data []byte, i int) int {
	for {
		// Sixteen, then eight bytes at a time up to the first quote,
		// backslash or control byte.
		for len(data)-i >= 16 {
			m0 := stringSpecials(load64(data, i))
			m1 := stringSpecials(load64(data, i+8))
			if m0|m1 != 0 {
				if m0 != 0 {
					i += bits.TrailingZeros64(m0) >> 3
				} else {
					i += 8 + bits.TrailingZeros64(m1)>>3
				}
				goto special
			}
			i += 16
			// Past the first sixteen (most strings are shorter), the
			// rest goes to the AVX2 scan, which takes 32 bytes a step.
			if useAVX2 && len(data)-i >= 32 {
				if i += indexSpecialAVX2(data[i:]); i == len(data) {
					return -1
				}
				goto special
			}
		}
		if len(data)-i >= 8 {
			if m := stringSpecials(load64(data, i)); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				goto special
			}
			i += 8
		}
		for ; i < len(data); i++ {
			if c := data[i]; c == '"' || c == '\\' || c < 0x20 {
				goto special
			}
		}
		return -1
	special:
		switch data[i] {
		case '"':
			return i + 1
		case '\\':
			if i+1 >= len(data) {
				return -1
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(data)-i < 6 || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) || !isHex(data[i+5]) {
					return -1
				}
				i += 6
			default:
				return -1
			}
		default: // a control byte
			return -1
		}
	}
}

func isHex(c byte) bool {
	return c-'0' <= 9 || (c|0x20)-'a' <= 5
}

// skipNumber checks the number at i (its first byte is '-' or a digit) and
// returns the index after it, or -1:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func skipNumber(data []byte, i int) int {
	if data[i] == '-' {
		i++
	}
	switch {
	case i >= len(data):
		return -1
	case data[i] == '0':
		i++
	case data[i]-'1' <= 8:
		i = skipDigits(data, i+1)
	default:
		return -1
	}
	if i < len(data) && data[i] == '.' {
		j := skipDigits(data, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(data) && data[i]|0x20 == 'e' {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := skipDigits(data, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func skipDigits(data []byte, i int) int {
	for i < len(data) && data[i]-'0' <= 9 {
		i++
	}
	return i
}
