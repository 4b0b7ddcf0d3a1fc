// Package kinesistest serves a fake, fault-injecting Amazon Kinesis Data
// Streams API for tests and benchmarks, in the spirit of net/http/httptest.
//
// A [Server] is an [httptest.Server] on 127.0.0.1 that speaks the JSON 1.1
// protocol the AWS SDK for Go v2 uses (Content-Type
// application/x-amz-json-1.1, X-Amz-Target Kinesis_20131202.<Op>). It
// implements CreateStream, DescribeStreamSummary, ListShards, PutRecord,
// PutRecords, GetShardIterator, GetRecords and SplitShard with Kinesis's
// hash-key routing, validation and, optionally, per-shard write limits. A
// split takes effect at once: the stream is never seen UPDATING. It can inject faults
// (HTTP 500, per-record InternalFailure, responses lost after storing,
// connections reset before storing, latency) with a seeded random source, or
// answer each PutRecords request as a test's [Script] says, and it keeps
// what it accepted so a test can count lost and duplicated records.
//
// Example:
//
//	srv := kinesistest.NewServer(kinesistest.Options{
//		Seed:   1,
//		Limits: kinesistest.DefaultWriteLimits(),
//		Faults: kinesistest.Faults{LostResponse: 0.05, RecordFailure: 0.01},
//	})
//	defer srv.Close()
//	if err := srv.CreateStream("events", 2); err != nil { ... }
//	client := srv.NewClient() // or kinesis.New(kinesis.Options{BaseEndpoint: &srv.URL, ...})
//	... send with client ...
//	diff := kinesistest.Compare(sent, kinesistest.StoredMultiset(srv.Records("events")))
//	st := srv.Stats()
//	if diff.Missing > 0 || diff.Duplicates > st.Faults.LostResponseRecords { ... }
//
// Signatures are not checked; any static credentials work.
package kinesistest

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// DefaultMaxRecordSizeKiB is a stream's record size limit (data plus
// partition key) unless set otherwise: 1 MiB, as in Kinesis.
const DefaultMaxRecordSizeKiB = 1024

// Options configures a [Server]. The zero value is a fault-free server
// without write limits in region us-east-1, account 000000000000.
type Options struct {
	// Region and AccountID make up stream ARNs
	// (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME).
	Region    string
	AccountID string

	// Limits, when not nil, throttles writes per shard; see [WriteLimits].
	Limits *WriteLimits

	// Faults to inject, drawn from a random source seeded with Seed.
	Faults Faults
	Seed   uint64

	// Script, when set, decides the answer to each PutRecords request
	// before any random fault; see [Script].
	Script Script

	// DiscardData keeps only the FNV-64a hash and length of each accepted
	// record's data, not the data or the partition key, for long benchmarks.
	// GetRecords then returns empty data.
	DiscardData bool

	// Now is the clock for write limits, arrival times and
	// MillisBehindLatest; nil means time.Now.
	Now func() time.Time
}

// PlainBodyClient is an HTTP client for the SDK (kinesis.Options.HTTPClient)
// that passes each request body to net/http as a plain io.ReadCloser,
// hiding any WriteTo method. With the SDK's own body, net/http's write loop
// sometimes closes the connection while the answer is being read, so a
// request that the server answered fails with "use of closed network
// connection"; a sender that retries then resends records that were stored.
// Hiding WriteTo was seen to stop this.
type PlainBodyClient struct {
	Client *http.Client
}

// Do sends req with its body wrapped.
func (c PlainBodyClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = plainBody{req.Body}
	}
	return c.Client.Do(req)
}

// plainBody has only Read and Close.
type plainBody struct{ io.ReadCloser }

// Record is one record the server accepted.
type Record struct {
	// Data is nil when the server was started with DiscardData.
	Data []byte
	// DataHash is the FNV-64a hash of Data (see [HashData]); DataLen its length.
	DataHash uint64
	DataLen  int
	// PartitionKey and ExplicitHashKey are empty with DiscardData.
	PartitionKey    string
	ExplicitHashKey string
	ShardID         string
	SequenceNumber  string
	// Arrival numbers the stream's accepted records from 0 in the order they
	// were stored.
	Arrival     int64
	ArrivalTime time.Time
}

// storedRecord is a Record without what can be derived (shard, sequence number).
type storedRecord struct {
	data        []byte
	key         string
	explicitKey string
	hash        uint64
	dataLen     int
	arrival     int64
	at          int64 // unix nanoseconds
}

type shard struct {
	id     string
	index  int
	start  uint128
	end    uint128
	parent string // ParentShardId: the shard it was split from, if any

	mu      sync.Mutex
	records []storedRecord
	bucket  bucket
	// closed: split; it takes no more records, and a reader that reaches
	// its end gets no next iterator.
	closed bool
}

// layout is a stream's shards: every one it ever had, by index (the number
// in the ID), and the open ones that writes are routed to. A reshard
// replaces it whole, so a request sees one layout throughout.
type layout struct {
	shards []*shard
	open   []*shard  // ascending hash key ranges that cover 0..2^128-1
	starts []uint128 // open[i].start
}

type stream struct {
	name          string
	arn           string
	onDemand      bool
	created       time.Time
	maxRecordSize atomic.Int64 // KiB
	layout        atomic.Pointer[layout]
	reshard       sync.Mutex // one SplitShard at a time
	arrivals      atomic.Int64
}

// Server is a running fake Kinesis. URL (from the embedded httptest.Server)
// is its endpoint; Close stops it.
type Server struct {
	*httptest.Server

	opts  Options
	now   func() time.Time
	stats stats

	mu      sync.RWMutex
	streams map[string]*stream

	rngMu sync.Mutex
	rng   *rand.Rand

	closing     chan struct{}
	closingOnce sync.Once
}

// NewServer starts a fake Kinesis on 127.0.0.1. The caller must Close it.
func NewServer(opts Options) *Server {
	s := NewUnstartedServer(opts)
	s.Start()
	return s
}

// NewUnstartedServer returns a fake Kinesis that is not yet listening, so
// the caller can replace its Listener (for example to use a fixed port)
// before calling Start.
func NewUnstartedServer(opts Options) *Server {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	s := &Server{
		opts:    opts,
		now:     opts.Now,
		streams: map[string]*stream{},
		rng:     rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		closing: make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.stats.init()
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// Close stops the server; requests waiting on injected latency end at once.
func (s *Server) Close() {
	s.closingOnce.Do(func() { close(s.closing) })
	s.Server.Close()
}

// NewClient returns an SDK client for this server with static credentials,
// the server's region and, unless optFns change it, no retries, so a test
// sees every injected fault.
//
// Its HTTP client hides the request body's WriteTo method from net/http
// (see [PlainBodyClient]): against a fast local endpoint the SDK otherwise
// sometimes fails a request that succeeded with "use of closed network
// connection" while reading the answer (aws-sdk-go-v2 issues #1825, #2737).
func (s *Server) NewClient(optFns ...func(*kinesis.Options)) *kinesis.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	opts := kinesis.Options{
		BaseEndpoint:     aws.String(s.URL),
		Region:           s.opts.Region,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       PlainBodyClient{Client: &http.Client{Transport: transport}},
	}
	for _, fn := range optFns {
		fn(&opts)
	}
	return kinesis.New(opts)
}

var streamNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`)

// StreamARN returns the ARN the server gives stream name.
func (s *Server) StreamARN(name string) string {
	return fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", s.opts.Region, s.opts.AccountID, name)
}

// CreateStream creates an ACTIVE stream with the given number of shards
// (1..10000) directly, without a request.
func (s *Server) CreateStream(name string, shards int) error {
	return s.createStream(name, shards, false)
}

func (s *Server) createStream(name string, shards int, onDemand bool) error {
	if !streamNamePattern.MatchString(name) {
		return fmt.Errorf("invalid stream name %q: want 1..128 characters of [a-zA-Z0-9_.-]", name)
	}
	if shards < 1 || shards > 10000 {
		return fmt.Errorf("invalid shard count %d for stream %q: want 1..10000", shards, name)
	}
	st := &stream{name: name, arn: s.StreamARN(name), onDemand: onDemand, created: s.now()}
	st.maxRecordSize.Store(DefaultMaxRecordSizeKiB)
	l := &layout{starts: splitHashKeySpace(shards)}
	for i, start := range l.starts {
		end := maxHashKey
		if i+1 < shards {
			end = l.starts[i+1].prev()
		}
		l.shards = append(l.shards, s.newShard(i, start, end, "", st.created))
	}
	l.open = l.shards
	st.layout.Store(l)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.streams[name]; ok {
		return &apiError{status: http.StatusBadRequest, code: "ResourceInUseException",
			msg: fmt.Sprintf("Stream %s under account %s already exists.", name, s.opts.AccountID)}
	}
	s.streams[name] = st
	return nil
}

func (s *Server) newShard(index int, start, end uint128, parent string, now time.Time) *shard {
	sh := &shard{id: fmt.Sprintf("shardId-%012d", index), index: index, start: start, end: end, parent: parent}
	if s.opts.Limits != nil {
		sh.bucket = newBucket(*s.opts.Limits, now)
	}
	return sh
}

// SetMaxRecordSize sets a stream's record size limit (data plus partition
// key) in KiB, 1024..10240, as UpdateMaxRecordSize does in Kinesis.
func (s *Server) SetMaxRecordSize(name string, kib int) error {
	if kib < 1024 || kib > 10240 {
		return fmt.Errorf("invalid max record size %d KiB for stream %q: want 1024..10240", kib, name)
	}
	st := s.stream(name)
	if st == nil {
		return fmt.Errorf("stream %q not found", name)
	}
	st.maxRecordSize.Store(int64(kib))
	return nil
}

func (s *Server) stream(name string) *stream {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.streams[name]
}

// Records returns every record the stream accepted, in arrival order, or
// nil if there is no such stream. Data shares memory with the server's
// copy: do not modify it.
func (s *Server) Records(streamName string) []Record {
	st := s.stream(streamName)
	if st == nil {
		return nil
	}
	var out []Record
	for _, sh := range st.layout.Load().shards {
		sh.mu.Lock()
		for pos, r := range sh.records {
			out = append(out, Record{
				Data: r.data, DataHash: r.hash, DataLen: r.dataLen,
				PartitionKey: r.key, ExplicitHashKey: r.explicitKey,
				ShardID: sh.id, SequenceNumber: string(appendSequenceNumber(nil, sh.index, pos)),
				Arrival: r.arrival, ArrivalTime: time.Unix(0, r.at),
			})
			if r.data != nil {
				out[len(out)-1].DataHash = HashData(r.data)
			}
		}
		sh.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Arrival < out[j].Arrival })
	return out
}

// HashData is the hash [Record.DataHash] holds: FNV-64a of data.
func HashData(data []byte) uint64 {
	h := fnv.New64a()
	_, _ = h.Write(data)
	return h.Sum64()
}

// sleep waits d, or less if ctx ends or the server closes.
func (s *Server) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-s.closing:
	}
}
