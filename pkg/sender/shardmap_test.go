package sender

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// evenShards splits the hash key space into n shards as Kinesis does: shard
// i starts at ⌊i·2¹²⁸/n⌋.
func evenShards(n int) []types.Shard {
	space := new(big.Int).Lsh(big.NewInt(1), 128)
	out := make([]types.Shard, n)
	for i := range out {
		start := new(big.Int).Div(new(big.Int).Mul(space, big.NewInt(int64(i))), big.NewInt(int64(n)))
		end := new(big.Int).Div(new(big.Int).Mul(space, big.NewInt(int64(i+1))), big.NewInt(int64(n)))
		end.Sub(end, big.NewInt(1))
		out[i] = types.Shard{
			ShardId:             aws.String(fmt.Sprintf("shardId-%012d", i)),
			HashKeyRange:        &types.HashKeyRange{StartingHashKey: aws.String(start.String()), EndingHashKey: aws.String(end.String())},
			SequenceNumberRange: &types.SequenceNumberRange{StartingSequenceNumber: aws.String("1")},
		}
	}
	return out
}

// fakeLister answers ListShards from pages, one page per call.
type fakeLister struct {
	pages [][]types.Shard
	err   error
	calls int
	ins   []*kinesis.ListShardsInput
}

func (f *fakeLister) ListShards(ctx context.Context, in *kinesis.ListShardsInput, _ ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error) {
	f.ins = append(f.ins, in)
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	page := 0
	if in.NextToken != nil {
		fmt.Sscanf(*in.NextToken, "page%d", &page)
	}
	out := &kinesis.ListShardsOutput{Shards: f.pages[page]}
	if page+1 < len(f.pages) {
		out.NextToken = aws.String(fmt.Sprintf("page%d", page+1))
	}
	return out, nil
}

func TestLoadShardMapPagesAndSkipsClosedShards(t *testing.T) {
	shards := evenShards(4)
	closed := types.Shard{
		ShardId:             aws.String("shardId-old"),
		HashKeyRange:        &types.HashKeyRange{StartingHashKey: aws.String("0"), EndingHashKey: aws.String("340282366920938463463374607431768211455")},
		SequenceNumberRange: &types.SequenceNumberRange{StartingSequenceNumber: aws.String("1"), EndingSequenceNumber: aws.String("9")},
	}
	// Out of order across pages, with a closed parent.
	l := &fakeLister{pages: [][]types.Shard{{shards[2], closed}, {shards[0], shards[3]}, {shards[1]}}}
	m, err := LoadShardMap(context.Background(), l, "s")
	if err != nil {
		t.Fatal(err)
	}
	if l.calls != 3 || aws.ToString(l.ins[0].StreamName) != "s" || l.ins[1].StreamName != nil || aws.ToString(l.ins[1].NextToken) != "page1" {
		t.Fatalf("calls %d, inputs %+v %+v", l.calls, l.ins[0], l.ins[1])
	}
	var ids []string
	for _, s := range m.Shards {
		ids = append(ids, s.ID)
	}
	if fmt.Sprint(ids) != "[shardId-000000000000 shardId-000000000001 shardId-000000000002 shardId-000000000003]" {
		t.Fatalf("shards %v", ids)
	}
}

func TestLoadShardMapErrors(t *testing.T) {
	tests := []struct {
		err        error
		notAllowed bool
	}{
		{&smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform kinesis:ListShards"}, true},
		{&smithy.GenericAPIError{Code: "UnknownOperationException"}, true},
		{&smithy.GenericAPIError{Code: "LimitExceededException"}, false},
	}
	for _, tt := range tests {
		_, err := LoadShardMap(context.Background(), &fakeLister{err: tt.err}, "s")
		if err == nil || errors.Is(err, ErrShardsNotListable) != tt.notAllowed {
			t.Errorf("%v: got %v", tt.err, err)
		}
	}
	if _, err := LoadShardMap(context.Background(), &fakeLister{pages: [][]types.Shard{{}}}, "s"); err == nil {
		t.Error("a stream without open shards must be an error")
	}
}

func TestShardMapFind(t *testing.T) {
	space := new(big.Int).Lsh(big.NewInt(1), 128)
	for _, n := range []int{1, 2, 3, 4, 7} {
		m, err := LoadShardMap(context.Background(), &fakeLister{pages: [][]types.Shard{evenShards(n)}}, "s")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 200; i++ {
			key := fmt.Sprintf("key-%d", i)
			h := PartitionHash(key)
			// Shard ⌊h·n/2¹²⁸⌋ holds h when shards split the space evenly.
			hb := new(big.Int).SetBytes(h[:])
			want := int(new(big.Int).Div(new(big.Int).Mul(hb, big.NewInt(int64(n))), space).Int64())
			if got := m.Find(h); got != want {
				t.Fatalf("%d shards: key %q (hash %s) in shard %d, want %d", n, key, hb, got, want)
			}
		}
		var zero, top [16]byte
		for i := range top {
			top[i] = 0xff
		}
		if m.Find(zero) != 0 || m.Find(top) != n-1 {
			t.Fatalf("%d shards: boundaries in %d and %d", n, m.Find(zero), m.Find(top))
		}
		for i := range m.Shards {
			k, ok := parseHashKey(m.BalanceKey(i))
			if !ok || m.Find(k) != i {
				t.Fatalf("%d shards: balance key %s of shard %d lands in %d", n, m.BalanceKey(i), i, m.Find(k))
			}
		}
	}
	// A known value: MD5("a") = 0cc175b9c0f1b6a831c399e269772661, below 2¹²⁸/4.
	if h := PartitionHash("a"); fmt.Sprintf("%x", h) != "0cc175b9c0f1b6a831c399e269772661" {
		t.Fatalf("md5 %x", h)
	}
}

func TestShardMapGap(t *testing.T) {
	s := evenShards(2)
	m, _ := LoadShardMap(context.Background(), &fakeLister{pages: [][]types.Shard{{s[1]}}}, "s")
	var zero [16]byte
	if got := m.Find(zero); got != -1 {
		t.Fatalf("a hash key outside every open shard found shard %d", got)
	}
}

func TestClassifyNoResponse(t *testing.T) {
	noResponse := &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{}}, Err: errors.New("request send failed: EOF")}
	dial := &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{}}, Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}
	status502 := &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 502}}, Err: errors.New("bad gateway")}
	tests := []struct {
		name string
		err  error
		want failure
	}{
		{"EOF before any response: may be stored", noResponse, failLost},
		{"dial failed: nothing sent", dial, failRetry},
		{"HTTP 502: not stored", status502, failRetry},
	}
	for _, tt := range tests {
		if got, _ := classify(tt.err); got != tt.want {
			t.Errorf("%s: classify = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// Find (two 64-bit halves) answers as a bytewise search does, at and next
// to every shard's bounds and at random keys, with gaps in the map.
func TestShardMapFindMatchesBytewise(t *testing.T) {
	bytewise := func(m *ShardMap, h [16]byte) int {
		i := sort.Search(len(m.Shards), func(i int) bool { return bytes.Compare(m.Shards[i].Start[:], h[:]) > 0 }) - 1
		if i < 0 || bytes.Compare(h[:], m.Shards[i].End[:]) > 0 {
			return -1
		}
		return i
	}
	step := func(h [16]byte, d int64) [16]byte {
		n := new(big.Int).SetBytes(h[:])
		n.Add(n, big.NewInt(d))
		if n.Sign() < 0 || n.BitLen() > 128 {
			return h
		}
		var out [16]byte
		n.FillBytes(out[:])
		return out
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 2, 3, 4, 7, 16} {
		full := mapOf(t, n)
		gapped := &ShardMap{Shards: append([]Shard(nil), full.Shards...)}
		if n > 2 {
			gapped.Shards = append(gapped.Shards[:1], gapped.Shards[2:]...) // a closed shard's range: a gap
		}
		for _, m := range []*ShardMap{full, gapped} {
			var keys [][16]byte
			for _, s := range m.Shards {
				for _, d := range []int64{-1, 0, 1} {
					keys = append(keys, step(s.Start, d), step(s.End, d))
				}
			}
			for i := 0; i < 1000; i++ {
				var h [16]byte
				for j := range h {
					h[j] = byte(rng.Uint32())
				}
				keys = append(keys, h)
			}
			for _, h := range keys {
				if got, want := m.Find(h), bytewise(m, h); got != want {
					t.Fatalf("%d shards: %x in %d, want %d", len(m.Shards), h, got, want)
				}
			}
		}
	}
}
