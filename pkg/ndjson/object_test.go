package ndjson

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// wantObject is the rule ValidateObject applies: encoding/json accepts
// data, and its first byte that is not white space is '{'.
func wantObject(data []byte) bool {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(data)
}

// previousValidObject is the check validObject replaced (fastjson, with
// encoding/json for lines holding a control byte), kept to compare with.
func previousValidObject(data []byte) bool {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return false
	}
	if previousHasControl(data) {
		return json.Valid(data)
	}
	return fastjson.ValidateBytes(data) == nil
}

// previousHasControl is the previous check's test for a byte below 0x20,
// eight bytes at a time.
func previousHasControl(data []byte) bool {
	const highs, bound = 0x8080808080808080, 0x20 * 0x0101010101010101
	for len(data) >= 8 {
		w := binary.LittleEndian.Uint64(data)
		if (w-bound)&^w&highs != 0 {
			return true
		}
		data = data[8:]
	}
	for _, c := range data {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// checkObject compares validObject with encoding/json and with the previous
// check. They can differ only past encoding/json's nesting limit, which the
// previous check did not apply to lines without a control byte; and the
// previous check takes time quadratic in the depth of an unclosed nest
// (fastjson wraps its error once per level: 25 s for 16,000 '['), so it is
// asked only about inputs with few brackets.
func checkObject(t *testing.T, data []byte) {
	t.Helper()
	got, want := validObject(data), wantObject(data)
	if got != want {
		t.Fatalf("validObject(%q) = %v, encoding/json says %v", data, got, want)
	}
	if bytes.Count(data, []byte("{"))+bytes.Count(data, []byte("[")) > 256 {
		return
	}
	if prev := previousValidObject(data); prev != got {
		t.Fatalf("validObject(%q) = %v, the previous check said %v", data, got, prev)
	}
}

// FuzzObjectMatchesEncodingJSON: validObject accepts exactly what
// encoding/json.Valid accepts as an object.
func FuzzObjectMatchesEncodingJSON(f *testing.F) {
	for _, s := range objectSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkObject(t, data) })
}

var objectSeeds = []string{
	`{}`, ` {} `, "\t{\r\n}\n", `{"a":1}`, `{"a":[1,2.5e3,-0,0.1E+2,1e-9,true,false,null,"x\u00e9\n\/\b\f\r\t\"\\"]}`,
	`{"a":{"b":{"c":[[],[{}]]}}}`, `{"":""}`, `{"a":"\ud800"}`, "{\"a\":\"\xff\xfe\"}", "{\"\xc3\x28\":1}",
	`{"a":}`, `{"a":1,}`, `{"a":01}`, `{"a":-}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":+1}`, `{"a":tru}`, `{"a":nul}`,
	`{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12g4"}`, `{a:1}`, `{"a" 1}`, `{"a":1 "b":2}`, `{"a":[1,]}`, `{"a":[1}`, `{"a":{]}`,
	`{"a":1}}`, `{"a":1}x`, `{}{}`, `[{}]`, `"{}"`, `{`, `}`, "", " ", `{"a":"b`, `{"a":"b\`, "{\"a\":\"\x01\"}", "{\"a\":\"\x1f\"}",
	"{\x00}", "{\"a\":1\x00}", "\v{}", "\f{}", `{"a":[1 2]}`, `{"a":NaN}`, `{"a":Infinity}`, `{"a":0x10}`, `{"a":1.5e+}`,
	`{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"bbbbbbbb\\bbbbbbb"}`,
}

func TestObjectSeeds(t *testing.T) {
	for _, s := range objectSeeds {
		checkObject(t, []byte(s))
	}
}

// TestObjectStringBytes puts every byte value at every position of strings
// of several lengths, around the eight-byte steps of skipString.
func TestObjectStringBytes(t *testing.T) {
	for n := 1; n <= 20; n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				s := bytes.Repeat([]byte("z"), n)
				s[pos] = byte(c)
				checkObject(t, []byte(`{"k`+string(s)+`":"`+string(s)+`","e":"`+string(s)+`\u00e9`+string(s)+`"}`))
				checkObject(t, fmt.Appendf(nil, `{"k":"%s`, s)) // unterminated
			}
		}
	}
}

// TestObjectDepthLimit: encoding/json allows 10,000 nested objects and
// arrays, the outer object included, and so does validObject.
func TestObjectDepthLimit(t *testing.T) {
	levels := map[byte][2]string{'o': {`{"a":`, "}"}, 'a': {"[", "]"}}
	for _, depth := range []int{63, 64, 65, 66, 127, 128, 129, maxDepth - 1, maxDepth, maxDepth + 1} {
		for _, pattern := range []string{"o", "a", "oa"} {
			var b strings.Builder
			b.WriteString(`{"o":`)
			var closers []string
			for d := 1; d < depth; d++ {
				l := levels[pattern[d%len(pattern)]]
				b.WriteString(l[0])
				closers = append(closers, l[1])
			}
			b.WriteString("1")
			for i := len(closers) - 1; i >= 0; i-- {
				b.WriteString(closers[i])
			}
			b.WriteString("}")
			data := []byte(b.String())
			got, want := validObject(data), wantObject(data)
			if got != want || got != (depth <= maxDepth) {
				t.Fatalf("depth %d (%s): validObject %v, encoding/json %v", depth, pattern, got, want)
			}
			// The wrong closer at the deepest level.
			last := closers[len(closers)-1]
			bad := bytes.Replace(data, []byte("1"+last), []byte("1"+map[string]string{"}": "]", "]": "}"}[last]), 1)
			if validObject(bad) || wantObject(bad) {
				t.Fatalf("depth %d (%s): a mismatched closer was accepted", depth, pattern)
			}
		}
	}
}

// TestObjectRandomAndMutated compares validObject with encoding/json (and
// the previous check) on random JSON objects and on mutations of them: bytes
// replaced, inserted, deleted, spans duplicated, and cuts.
func TestObjectRandomAndMutated(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 2026))
	n := 3000
	if testing.Short() {
		n = 300
	}
	interesting := []byte("{}[]:,\"\\/ \t\r\n0123456789-+.eEtrufalsn\x00\x01\x1f\x7f\x80\xc3\xff")
	for range n {
		data := randomObject(rng)
		checkObject(t, data)
		for range 20 {
			m := bytes.Clone(data)
			switch pos := rng.IntN(len(m) + 1); rng.IntN(5) {
			case 0:
				if pos < len(m) {
					m[pos] = interesting[rng.IntN(len(interesting))]
				}
			case 1:
				m = append(m[:pos], append([]byte{interesting[rng.IntN(len(interesting))]}, m[pos:]...)...)
			case 2:
				if pos < len(m) {
					m = append(m[:pos], m[pos+1:]...)
				}
			case 3:
				end := min(len(m), pos+rng.IntN(8))
				m = append(m[:end], append(bytes.Clone(m[pos:end]), m[end:]...)...)
			case 4:
				m = m[:pos]
			}
			checkObject(t, m)
		}
	}
}

// randomObject writes a random JSON object with every kind of value,
// escapes, white space and non-ASCII bytes.
func randomObject(rng *rand.Rand) []byte {
	var b bytes.Buffer
	ws := func() {
		for rng.IntN(6) == 0 {
			b.WriteByte(" \t\r\n"[rng.IntN(4)])
		}
	}
	str := func() {
		b.WriteByte('"')
		for range rng.IntN(24) {
			switch k := rng.IntN(20); {
			case k == 0:
				b.WriteString([]string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`}[rng.IntN(8)])
			case k == 1:
				fmt.Fprintf(&b, `\u%04x`, rng.IntN(0x10000))
			case k == 2:
				b.WriteByte(byte(0x80 + rng.IntN(0x80)))
			case k == 3:
				b.WriteString("é€😀")
			default:
				b.WriteByte(byte(0x20 + rng.IntN(0x5f)))
				if b.Bytes()[b.Len()-1] == '"' || b.Bytes()[b.Len()-1] == '\\' {
					b.Truncate(b.Len() - 1)
				}
			}
		}
		b.WriteByte('"')
	}
	num := func() {
		if rng.IntN(2) == 0 {
			b.WriteByte('-')
		}
		if rng.IntN(4) == 0 {
			b.WriteByte('0')
		} else {
			fmt.Fprint(&b, 1+rng.IntN(1e6))
		}
		if rng.IntN(3) == 0 {
			fmt.Fprintf(&b, ".%d", rng.IntN(1000))
		}
		if rng.IntN(4) == 0 {
			b.WriteString([]string{"e", "E", "e+", "e-", "E-"}[rng.IntN(5)])
			fmt.Fprint(&b, rng.IntN(400))
		}
	}
	var value func(depth int)
	object := func(depth, members int) {
		b.WriteByte('{')
		for i := range members {
			if i > 0 {
				b.WriteByte(',')
			}
			ws()
			str()
			ws()
			b.WriteByte(':')
			value(depth)
		}
		ws()
		b.WriteByte('}')
	}
	value = func(depth int) {
		ws()
		k := rng.IntN(8)
		if depth > 6 {
			k %= 5
		}
		switch k {
		case 0:
			str()
		case 1:
			num()
		case 2:
			b.WriteString([]string{"true", "false", "null"}[rng.IntN(3)])
		case 3, 5:
			object(depth+1, rng.IntN(5))
		case 4, 6, 7:
			b.WriteByte('[')
			for i := range rng.IntN(5) {
				if i > 0 {
					b.WriteByte(',')
				}
				value(depth + 1)
			}
			ws()
			b.WriteByte(']')
		}
		ws()
	}
	ws()
	object(1, 1+rng.IntN(6))
	ws()
	return b.Bytes()
}

func TestHasWord(t *testing.T) {
	data := []byte("xtrue")
	if !hasWord(data, 1, "true") || hasWord(data, 0, "true") || hasWord(data, 2, "true") {
		t.Fatal("hasWord")
	}
	if binary.LittleEndian.Uint32([]byte("null")) == binary.LittleEndian.Uint32([]byte("true")) {
		t.Fatal("words")
	}
}

// TestValidateObjectDeepUnclosedNest: a line of a megabyte of '[' is
// rejected (in linear time: the previous check's errors grew with each
// level, and such a line kept it busy for hours).
func TestValidateObjectDeepUnclosedNest(t *testing.T) {
	for _, open := range []string{"[", `{"a":`} {
		line := append([]byte(`{"a":`), bytes.Repeat([]byte(open), (1<<20)/len(open))...)
		if err := ValidateObject(line); err == nil || !strings.Contains(err.Error(), "invalid JSON") {
			t.Fatalf("%s...: err %v, want invalid JSON", line[:20], err)
		}
	}
}

// TestObjectJoins puts strings of 0 to 20 bytes, with a special byte at
// each position, in the places where validObject takes its short cuts: a
// key followed by '":"' or '":' (with and without white space), a string
// value followed by '","', '",' or a closer, strings in arrays, and '#'
// just after a quote; and moves the end of the line past each of them with
// trailing white space.
func TestObjectJoins(t *testing.T) {
	templates := []string{
		`{"S":"S","S":1,"S":["S","S"],"S":{"S":"S"}}`,
		`{"S" : "S" ,"S":true ,"S":[ "S" , "S" ],"S":{"S" :"S"},"S":-1.5}`,
		`{"S":["S"],"S":{},"S":[],"S":"S"}`,
		"{\"S\": \"S\",\"S\":\t1,\"S\":\n[\"S\",\r\"S\"],\"S\": {\"S\":\"S\"}}",
	}
	specials := []byte{'"', '\\', 0x00, 0x1f, ' ', '#', ':', ',', '}', ']', 0x7f, 0x80, 0xff}
	for n := 0; n <= 20; n++ {
		for pos := -1; pos < n; pos++ {
			for _, c := range specials {
				if pos < 0 && c != specials[0] {
					continue
				}
				s := bytes.Repeat([]byte("y"), n)
				if pos >= 0 {
					s[pos] = c
				}
				for _, tmpl := range templates {
					line := bytes.ReplaceAll([]byte(tmpl), []byte("S"), s)
					for tail := 0; tail <= 16; tail++ {
						checkObject(t, append(bytes.Clone(line), bytes.Repeat([]byte(" "), tail)...))
					}
				}
			}
		}
	}
}

// TestObjectNestingWords nests objects and arrays around the 63-level words
// of validObject's kinds and checks, at every level, that a member or an
// element after a closer is read as the container's kind requires, and that
// the wrong closer is rejected.
func TestObjectNestingWords(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 126))
	for _, depth := range []int{62, 63, 64, 65, 66, 125, 126, 127, 128, 129, 188, 189, 190, 191} {
		arrays := make([]bool, depth) // arrays[d]: the container at depth d+1 is an array; the outer one is an object
		for d := 1; d < depth; d++ {
			arrays[d] = rng.IntN(2) == 0
		}
		build := func(wrong int) []byte {
			var b bytes.Buffer
			for d := 0; d < depth; d++ {
				if d > 0 && !arrays[d-1] {
					b.WriteString(`"k":`)
				}
				b.WriteString(map[bool]string{false: "{", true: "["}[arrays[d]])
			}
			for d := depth - 1; d >= 0; d-- {
				b.WriteString(map[bool]string{false: "}", true: "]"}[arrays[d] != (d == wrong)])
				if d > 0 {
					b.WriteString(map[bool]string{false: `,"m":2`, true: ",2"}[arrays[d-1]])
				}
			}
			return b.Bytes()
		}
		checkObject(t, build(-1))
		if !validObject(build(-1)) {
			t.Fatalf("depth %d: rejected", depth)
		}
		for wrong := 0; wrong < depth; wrong++ {
			checkObject(t, build(wrong))
		}
	}
}

// TestStringSpecialsLowestFlag: stringSpecials' lowest flag marks the first
// quote, backslash or control byte of a word, for words of random bytes
// drawn mostly from the ones around its tests' borrows.
func TestStringSpecialsLowestFlag(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 64))
	pool := []byte("\"\\\x00\x01\x1f !#$]^[AZz\x7f\x80\xa2\xdc\xff")
	for range 200000 {
		var word [8]byte
		for k := range word {
			if rng.IntN(4) == 0 {
				word[k] = byte(rng.IntN(256))
			} else {
				word[k] = pool[rng.IntN(len(pool))]
			}
		}
		want := 8
		for k, c := range word {
			if c == '"' || c == '\\' || c < 0x20 {
				want = k
				break
			}
		}
		if got := bits.TrailingZeros64(stringSpecials(binary.LittleEndian.Uint64(word[:]))) >> 3; got != want {
			t.Fatalf("stringSpecials(%q): first flag at %d, want %d", word, got, want)
		}
	}
}
