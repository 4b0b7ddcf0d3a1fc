package ndjson

import (
	"encoding/binary"
	"math/bits"
)

// validObjectOld is validObject before it was tuned (issue 13), kept to
// compare speeds with in BenchmarkValidObjectOldNew.
func validObjectOld(data []byte) bool {
	i := skipSpaceSlow(data, 0)
	if i == len(data) || data[i] != '{' {
		return false
	}
	i++
	// The kind of each open container: bit d-1 set when the container at
	// depth d is an array. Depths past 64 spill into deep.
	var low uint64
	var deep []uint64
	depth := 1
	isArray := func(d int) bool {
		d--
		if d < 64 {
			return low&(1<<d) != 0
		}
		return deep[d/64-1]&(1<<(d%64)) != 0
	}
	push := func(array bool) bool {
		if depth >= maxDepth {
			return false
		}
		d := depth // the new container's bit
		depth++
		if d < 64 {
			if array {
				low |= 1 << d
			} else {
				low &^= 1 << d
			}
			return true
		}
		w := d/64 - 1
		for len(deep) <= w {
			deep = append(deep, 0)
		}
		if array {
			deep[w] |= 1 << (d % 64)
		} else {
			deep[w] &^= 1 << (d % 64)
		}
		return true
	}

objectStart: // after '{'
	i = skipSpaceSlow(data, i)
	if i < len(data) && data[i] == '}' {
		i++
		goto closed
	}
key: // a member's key, after '{' or ','
	if i >= len(data) || data[i] != '"' {
		return false
	}
	if i = skipStringOld(data, i+1); i < 0 {
		return false
	}
	i = skipSpaceSlow(data, i)
	if i >= len(data) || data[i] != ':' {
		return false
	}
	i = skipSpaceSlow(data, i+1)
value: // a value, white space skipped
	if i >= len(data) {
		return false
	}
	switch c := data[i]; {
	case c == '"':
		if i = skipStringOld(data, i+1); i < 0 {
			return false
		}
	case c == '{':
		if !push(false) {
			return false
		}
		i++
		goto objectStart
	case c == '[':
		if !push(true) {
			return false
		}
		i = skipSpaceSlow(data, i+1)
		if i < len(data) && data[i] == ']' {
			i++
			goto closed
		}
		goto value
	case c == '-' || c-'0' <= 9:
		if i = skipNumber(data, i); i < 0 {
			return false
		}
	case c == 't':
		if !hasWord(data, i, "true") {
			return false
		}
		i += 4
	case c == 'f':
		if len(data)-i < 5 || string(data[i:i+5]) != "false" {
			return false
		}
		i += 5
	case c == 'n':
		if !hasWord(data, i, "null") {
			return false
		}
		i += 4
	default:
		return false
	}
afterValue: // after a value inside the container at depth
	i = skipSpaceSlow(data, i)
	if i >= len(data) {
		return false
	}
	switch data[i] {
	case ',':
		i = skipSpaceSlow(data, i+1)
		if isArray(depth) {
			goto value
		}
		goto key
	case '}':
		if isArray(depth) {
			return false
		}
	case ']':
		if !isArray(depth) {
			return false
		}
	default:
		return false
	}
	i++
closed: // after the '}' or ']' that closed the container at depth
	depth--
	if depth > 0 {
		goto afterValue
	}
	return skipSpaceSlow(data, i) == len(data)
}

// skipStringOld is skipString before issue 13, eight bytes at a time up
// to the first quote, backslash or control byte. It leaves escapes and a
// string's last bytes to skipString: the benchmarks' strings have no escapes,
// and skipString takes the last bytes one at a time as it did.
func skipStringOld(data []byte, i int) int {
	for len(data)-i >= 8 {
		w := binary.LittleEndian.Uint64(data[i:])
		q := w ^ ('"' * ones)
		b := w ^ ('\\' * ones)
		m := ((q - ones) &^ q) | ((b - ones) &^ b) | ((w - 0x20*ones) &^ w)
		if m &= highs; m != 0 {
			i += bits.TrailingZeros64(m) / 8
			if data[i] == '"' {
				return i + 1
			}
			return skipString(data, i)
		}
		i += 8
	}
	return skipString(data, i)
}
