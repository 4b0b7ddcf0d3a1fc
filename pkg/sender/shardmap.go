package sender

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/ldexport/ldexport/pkg/awserr"
)

// ListShardsAPI is the part of the Kinesis client that learns a stream's shards.
type ListShardsAPI interface {
	ListShards(ctx context.Context, in *kinesis.ListShardsInput, optFns ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
}

// Shard is one open shard: its ID and the hash keys it owns.
type Shard struct {
	ID    string
	Start [16]byte // first hash key, big-endian
	End   [16]byte // last hash key, big-endian
	mid   string   // a hash key inside the range, in decimal, for --balance
}

// ShardMap is a stream's open shards, sorted by their first hash key.
type ShardMap struct {
	Shards []Shard
}

// ErrShardsNotListable means the caller may not list the stream's shards
// (AccessDeniedException, or an endpoint without ListShards).
var ErrShardsNotListable = errors.New("shards cannot be listed")

// LoadShardMap lists the open shards of stream. It returns an error wrapping
// ErrShardsNotListable when the caller may not (LaunchDarkly's minimal policy
// allows only PutRecord(s)), so the caller can pace without a map.
func LoadShardMap(ctx context.Context, api ListShardsAPI, stream string) (*ShardMap, error) {
	var shards []Shard
	in := &kinesis.ListShardsInput{StreamName: aws.String(stream)}
	for {
		out, err := api.ListShards(ctx, in)
		if err != nil {
			switch awserr.Classify(err) {
			case awserr.AccessDenied, awserr.Unsupported, awserr.Credentials:
				return nil, fmt.Errorf("%w: %s", ErrShardsNotListable, awserr.Code(err))
			}
			return nil, err
		}
		for _, s := range out.Shards {
			if s.SequenceNumberRange != nil && s.SequenceNumberRange.EndingSequenceNumber != nil {
				continue // closed: takes no more writes
			}
			if s.HashKeyRange == nil {
				continue
			}
			sh, err := newShard(aws.ToString(s.ShardId), aws.ToString(s.HashKeyRange.StartingHashKey), aws.ToString(s.HashKeyRange.EndingHashKey))
			if err != nil {
				return nil, err
			}
			shards = append(shards, sh)
		}
		if out.NextToken == nil || *out.NextToken == "" {
			break
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
	if len(shards) == 0 {
		return nil, fmt.Errorf("stream %s has no open shards", stream)
	}
	return NewShardMap(shards), nil
}

// NewShardMap sorts shards by their first hash key.
func NewShardMap(shards []Shard) *ShardMap {
	sort.Slice(shards, func(i, j int) bool { return bytes.Compare(shards[i].Start[:], shards[j].Start[:]) < 0 })
	for i := range shards {
		if shards[i].mid == "" {
			s := new(big.Int).SetBytes(shards[i].Start[:])
			e := new(big.Int).SetBytes(shards[i].End[:])
			shards[i].mid = s.Add(s, e).Rsh(s, 1).String()
		}
	}
	return &ShardMap{Shards: shards}
}

// newShard parses a shard's decimal hash key range.
func newShard(id, start, end string) (Shard, error) {
	sh := Shard{ID: id}
	for _, p := range []struct {
		s   string
		dst *[16]byte
	}{{start, &sh.Start}, {end, &sh.End}} {
		n, ok := new(big.Int).SetString(p.s, 10)
		if !ok || n.Sign() < 0 || n.BitLen() > 128 {
			return Shard{}, fmt.Errorf("shard %s: hash key %q is not a number in 0..2^128-1", id, p.s)
		}
		n.FillBytes(p.dst[:])
	}
	return sh, nil
}

// PartitionHash is the hash key Kinesis derives from a partition key: the
// MD5 of its bytes, read as a 128-bit big-endian number.
func PartitionHash(key string) [16]byte { return md5.Sum([]byte(key)) }

// parseHashKey reads a decimal ExplicitHashKey; false if it is not one.
func parseHashKey(s string) ([16]byte, bool) {
	var out [16]byte
	n, ok := new(big.Int).SetString(s, 10)
	if !ok || n.Sign() < 0 || n.BitLen() > 128 {
		return out, false
	}
	n.FillBytes(out[:])
	return out, true
}

// Find returns the index of the shard that owns hash, or -1 when no open
// shard does (a gap in a stale map). It compares hash keys as two 64-bit
// halves: it runs once per record.
func (m *ShardMap) Find(hash [16]byte) int {
	hi, lo := binary.BigEndian.Uint64(hash[:8]), binary.BigEndian.Uint64(hash[8:])
	// The first shard that starts after hash; the one before may own it.
	i, j := 0, len(m.Shards)
	for i < j {
		h := int(uint(i+j) >> 1)
		if compareKey(hi, lo, &m.Shards[h].Start) < 0 {
			j = h
		} else {
			i = h + 1
		}
	}
	i--
	if i < 0 || compareKey(hi, lo, &m.Shards[i].End) > 0 {
		return -1
	}
	return i
}

// compareKey compares the hash key hi:lo with k: -1, 0 or +1.
func compareKey(hi, lo uint64, k *[16]byte) int {
	khi, klo := binary.BigEndian.Uint64(k[:8]), binary.BigEndian.Uint64(k[8:])
	switch {
	case hi != khi:
		if hi < khi {
			return -1
		}
		return 1
	case lo < klo:
		return -1
	case lo > klo:
		return 1
	}
	return 0
}

// BalanceKey is an ExplicitHashKey inside shard i's range.
func (m *ShardMap) BalanceKey(i int) string { return m.Shards[i].mid }

// refreshShards lists the shards again and hands the map (nil on failure)
// to the dispatcher.
func (s *Sender) refreshShards() {
	ctx, cancel := context.WithTimeout(s.reqCtx, s.cfg.RequestTimeout)
	defer cancel()
	m, err := LoadShardMap(ctx, s.cfg.Lister, s.cfg.StreamName)
	if err != nil {
		m = nil
	}
	s.maps <- m
}
