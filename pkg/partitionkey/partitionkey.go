// Package partitionkey chooses the Kinesis partition key of a record: a
// random key by default, as LaunchDarkly writes, or the value of a field
// path such as event.contextKeys.user.
package partitionkey

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode/utf8"

	"github.com/buger/jsonparser"
)

// maxChars is the longest partition key Kinesis accepts, in Unicode characters.
const maxChars = 256

// randomLen is the length of a random key: 32 hexadecimal characters (128 bits).
const randomLen = 32

// Chooser returns the partition key of each record. It is not safe for
// concurrent use: each goroutine needs its own.
type Chooser struct {
	path []string // nil: always random
	rng  *rand.Rand
	keys string // random keys made ahead, randomLen characters each
}

// randomAhead is how many random keys are made at once: one string holds
// them, and each key is a slice of it, so a key costs no allocation of its
// own. A key kept alive keeps its randomAhead·randomLen bytes alive: 256,
// so records held back (one throttled shard of many) hold little more.
const randomAhead = 8

// New returns a Chooser for spec: "" or "random" for random keys, or a
// dot-separated field path. seed seeds the random keys (any value; tests fix it).
func New(spec string, seed uint64) (*Chooser, error) {
	c := &Chooser{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	if spec == "" || spec == "random" {
		return c, nil
	}
	parts := strings.Split(spec, ".")
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("invalid field path %q: empty segment (use names joined by dots, e.g. event.contextKeys.user)", spec)
		}
	}
	c.path = parts
	return c, nil
}

// Random reports whether every key is random.
func (c *Chooser) Random() bool { return c.path == nil }

// Key returns the partition key for a JSON record. A record without the
// field, or whose value is not a non-empty string or a number, gets a random
// key. A value longer than maxChars characters is replaced by the hex
// SHA-256 of the value (64 characters), so equal values still share a shard.
func (c *Chooser) Key(data []byte) string {
	if c.path == nil {
		return c.random()
	}
	v, typ, _, err := jsonparser.Get(data, c.path...)
	if err != nil {
		return c.random()
	}
	var s string
	switch typ {
	case jsonparser.String:
		u, err := jsonparser.ParseString(v)
		if err != nil {
			return c.random()
		}
		s = u
	case jsonparser.Number:
		s = string(v)
	default:
		return c.random()
	}
	if s == "" {
		return c.random()
	}
	if len(s) > maxChars && utf8.RuneCountInString(s) > maxChars {
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	return s
}

const hexDigits = "0123456789abcdef"

func (c *Chooser) random() string {
	if c.keys == "" {
		var buf [randomAhead * randomLen]byte
		for k := 0; k < len(buf); k += randomLen {
			a, b := c.rng.Uint64(), c.rng.Uint64()
			for i := 0; i < 16; i++ {
				buf[k+i] = hexDigits[a&0xf]
				a >>= 4
				buf[k+16+i] = hexDigits[b&0xf]
				b >>= 4
			}
		}
		c.keys = string(buf[:])
	}
	key := c.keys[:randomLen]
	c.keys = c.keys[randomLen:]
	return key
}
