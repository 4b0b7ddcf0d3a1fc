package kinesistest

import (
	"crypto/md5"
	"encoding/binary"
	"errors"
	"math/big"
	"sort"
)

// uint128 is a Kinesis hash key: a 128-bit unsigned number.
type uint128 struct{ hi, lo uint64 }

// maxHashKey is 2^128-1, the last hash key.
var maxHashKey = uint128{hi: ^uint64(0), lo: ^uint64(0)}

func (a uint128) less(b uint128) bool {
	return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo)
}

func (a uint128) big() *big.Int {
	var buf [16]byte
	binary.BigEndian.PutUint64(buf[:8], a.hi)
	binary.BigEndian.PutUint64(buf[8:], a.lo)
	return new(big.Int).SetBytes(buf[:])
}

// String formats a as Kinesis does: a decimal number.
func (a uint128) String() string { return a.big().String() }

func uint128FromBig(b *big.Int) uint128 {
	var buf [16]byte
	b.FillBytes(buf[:])
	return uint128{hi: binary.BigEndian.Uint64(buf[:8]), lo: binary.BigEndian.Uint64(buf[8:])}
}

// HashKey returns the hash key Kinesis derives from a partition key: the MD5
// of its UTF-8 bytes read as a 128-bit big-endian number, in decimal.
func HashKey(partitionKey string) string { return partitionHash(partitionKey).String() }

func partitionHash(partitionKey string) uint128 {
	sum := md5.Sum([]byte(partitionKey))
	return uint128{hi: binary.BigEndian.Uint64(sum[:8]), lo: binary.BigEndian.Uint64(sum[8:])}
}

var (
	errHashKeyPattern = errors.New("must match pattern 0|([1-9]\\d{0,38})")
	errHashKeyRange   = errors.New("must be in the range [0, 2^128-1]")
)

// parseHashKey parses an ExplicitHashKey: a decimal number without leading
// zeros in 0..2^128-1.
func parseHashKey(s string) (uint128, error) {
	if s == "" || len(s) > 39 || (s[0] == '0' && len(s) > 1) {
		return uint128{}, errHashKeyPattern
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return uint128{}, errHashKeyPattern
		}
	}
	b, _ := new(big.Int).SetString(s, 10)
	if b.BitLen() > 128 {
		return uint128{}, errHashKeyRange
	}
	return uint128FromBig(b), nil
}

// splitHashKeySpace returns the first hash key of each of n shards, splitting
// 0..2^128-1 evenly as Kinesis does when it creates a stream: shard i starts
// at floor(i * 2^128 / n) and ends just before shard i+1 starts.
func splitHashKeySpace(n int) []uint128 {
	space := new(big.Int).Lsh(big.NewInt(1), 128)
	starts := make([]uint128, n)
	for i := range starts {
		v := new(big.Int).Mul(space, big.NewInt(int64(i)))
		v.Quo(v, big.NewInt(int64(n)))
		starts[i] = uint128FromBig(v)
	}
	return starts
}

// shardFor returns the index of the shard whose range holds h, given the
// ascending first keys of the shards (starts[0] is 0).
func shardFor(starts []uint128, h uint128) int {
	// The first shard whose start is above h, minus one.
	return sort.Search(len(starts), func(i int) bool { return h.less(starts[i]) }) - 1
}

// prev returns a-1; a must not be 0.
func (a uint128) prev() uint128 {
	if a.lo == 0 {
		return uint128{hi: a.hi - 1, lo: ^uint64(0)}
	}
	return uint128{hi: a.hi, lo: a.lo - 1}
}
