package sender

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"math/bits"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The lean PutRecords path. The SDK's generic serializer copies every
// record into a PutRecordsRequestEntry, walks them through its schema
// serializer and base64-encodes into a fresh buffer per request. Here the
// sender writes the JSON body itself, straight from the records, into a
// pooled buffer, and a serialize-step middleware hands that body to the SDK
// in place of its own. Everything after serialization is the SDK's as
// before: endpoint resolution, SigV4 signing (with the payload SHA-256,
// computed here from the body in memory), retries off, the plain-body HTTP
// client.

// LeanClient is a Kinesis client whose PutRecords calls from a Sender take
// the lean path. Build it with NewLeanClient from a client made with
// ClientOptions.
type LeanClient struct {
	*kinesis.Client
	// lean is a copy of Client with the lean middlewares in its APIOptions,
	// built once: a call through it needs no per-call option function, so
	// the SDK copies its options once per call instead of twice.
	lean *kinesis.Client
	free chan []byte // reusable bodies, at most cap(free)
}

// NewLeanClient wraps c; at most buffers request bodies are kept for reuse.
func NewLeanClient(c *kinesis.Client, buffers int) *LeanClient {
	lean := kinesis.New(c.Options(), func(o *kinesis.Options) {
		o.APIOptions = append(slices.Clip(o.APIOptions), leanAPIOptions)
	})
	return &LeanClient{Client: c, lean: lean, free: make(chan []byte, max(1, buffers))}
}

// maxPooledBody is the largest body kept for reuse: it holds a request of
// AggregateBatchBytes in base64; a full 5 MiB request (about 7 MiB in
// base64) is rare, and holding several would cost more memory than
// reallocating them.
const maxPooledBody = 3 << 19

// leanBodyKey carries a pre-serialized body through the context.
type leanBodyKey struct{}

// leanBody is one request's body. Its buffer goes back to the pool once the
// call has returned and net/http has closed the body (refs reaches 0):
// net/http may still read a body after the round trip ends.
type leanBody struct {
	b      []byte
	refs   atomic.Int32
	client *LeanClient
	answer *putAnswer // the 200 answer, read by leanDeserializer
}

func (lb *leanBody) release() {
	if lb.refs.Add(-1) == 0 && cap(lb.b) <= maxPooledBody {
		select {
		case lb.client.free <- lb.b[:0]:
		default:
		}
	}
}

// buffer returns an empty body buffer of at least size bytes: one from the
// pool, or a new one of that size (a pooled one too small is dropped), so a
// body is never grown and copied while it is written.
func (c *LeanClient) buffer(size int) []byte {
	select {
	case b := <-c.free:
		if cap(b) >= size {
			return b
		}
	default:
	}
	// Rounded up to 32 KiB, so that the next batch, a little larger, still
	// fits.
	return make([]byte, 0, (size+32<<10-1)&^(32<<10-1))
}

// putRecordsBodySize is the length of appendPutRecordsBody's output when no
// partition key, hash key or stream name needs escaping (else a little
// more).
func putRecordsBodySize(stream string, batch []*Record) int {
	n := len(`{"Records":[],"StreamName":""}`) + len(stream)
	for _, r := range batch {
		n += len(`{"Data":"","PartitionKey":""},`) + base64.StdEncoding.EncodedLen(len(r.Data)) + len(r.Key)
		if r.hashKey != "" {
			n += len(`,"ExplicitHashKey":""`) + len(r.hashKey)
		}
	}
	if len(batch) > 0 {
		n-- // no comma after the last record
	}
	return n
}

// putRecords sends batch as one PutRecords request with a body written
// from the records. The caller releases the answer.
func (c *LeanClient) putRecords(ctx context.Context, stream string, batch []*Record) (*putAnswer, error) {
	lb := &leanBody{b: appendPutRecordsBody(c.buffer(putRecordsBodySize(stream, batch)), stream, batch), client: c}
	lb.refs.Store(1)
	defer lb.release()
	out, err := c.lean.PutRecords(context.WithValue(ctx, leanBodyKey{}, lb), &kinesis.PutRecordsInput{StreamName: aws.String(stream)})
	switch {
	case err != nil:
		lb.answer.release()
		return nil, err
	case lb.answer != nil:
		return lb.answer, nil
	}
	// A 2xx answer other than 200, read by the SDK.
	return sdkAnswer(out), nil
}

// appendPutRecordsBody appends the PutRecords JSON body for batch:
// {"Records":[{"Data":base64,"PartitionKey":key[,"ExplicitHashKey":k]},...],"StreamName":stream}.
func appendPutRecordsBody(b []byte, stream string, batch []*Record) []byte {
	b = append(b, `{"Records":[`...)
	for i, r := range batch {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Data":"`...)
		b = appendBase64(b, r.Data)
		b = append(b, `","PartitionKey":`...)
		b = appendJSONString(b, r.Key)
		if r.hashKey != "" {
			b = append(b, `,"ExplicitHashKey":`...)
			b = appendJSONString(b, r.hashKey)
		}
		b = append(b, '}')
	}
	b = append(b, `],"StreamName":`...)
	b = appendJSONString(b, stream)
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// jsonPlain marks the bytes a JSON string holds as they are: ASCII from
// 0x20 up, but for '"' and '\\'.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s as a JSON string, as encoding/json would
// (invalid UTF-8 becomes U+FFFD), without escaping HTML characters.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := jsonPlainPrefix(s); i < len(s); {
		c := s[i]
		if jsonPlain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		// U+2028 and U+2029 are escaped by encoding/json too.
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// leanSerializer replaces the SDK's OperationSerializer on lean calls: a
// call whose context carries a leanBody gets that body; any other call goes
// to the SDK's serializer.
type leanSerializer struct {
	sdk middleware.SerializeMiddleware
}

func (*leanSerializer) ID() string { return "OperationSerializer" }

func (m *leanSerializer) HandleSerialize(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
	lb, ok := ctx.Value(leanBodyKey{}).(*leanBody)
	if !ok {
		return m.sdk.HandleSerialize(ctx, in, next)
	}
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("unexpected transport type %T", in.Request)
	}
	// What the awsJson 1.1 protocol sets for Kinesis_20131202.PutRecords.
	req.Method = http.MethodPost
	if req.URL.Path == "" {
		req.URL.Path = "/"
	}
	req.Header.Set("X-Amz-Target", "Kinesis_20131202.PutRecords")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	lb.refs.Add(1) // released when net/http closes the body (leanPlainBody.Close)
	sreq, err := req.SetStream(&leanReader{lb: lb})
	if err != nil {
		lb.release()
		return middleware.SerializeOutput{}, middleware.Metadata{}, err
	}
	in.Request = sreq
	// The payload SHA-256 SigV4 signs, computed here from the body in
	// memory: the SDK's ComputePayloadSHA256 takes it as given instead of
	// reading the body through a 32 KiB copy buffer and rewinding it.
	sum := sha256.Sum256(lb.b)
	return next.HandleSerialize(v4.SetPayloadHash(ctx, hex.EncodeToString(sum[:])), in)
}

// leanReader reads a leanBody; it is an io.ReadSeeker so the SDK can hash
// it for SigV4 and set Content-Length, and hides WriteTo from net/http.
type leanReader struct {
	lb  *leanBody
	off int64
}

func (r *leanReader) Read(p []byte) (int, error) {
	if r.off >= int64(len(r.lb.b)) {
		return 0, io.EOF
	}
	n := copy(p, r.lb.b[r.off:])
	r.off += int64(n)
	return n, nil
}

func (r *leanReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case 0:
	case 1:
		offset += r.off
	case 2:
		offset += int64(len(r.lb.b))
	}
	if offset < 0 {
		return 0, fmt.Errorf("lean body: negative position %d", offset)
	}
	r.off = offset
	return offset, nil
}

// leanAPIOptions installs the lean serializer and deserializer on a
// PutRecords call's stack; other operations' stacks are left as they are.
func leanAPIOptions(stack *middleware.Stack) error {
	if stack.ID() != "PutRecords" {
		return nil
	}
	sdk, ok := stack.Serialize.Get("OperationSerializer")
	if !ok {
		return fmt.Errorf("lean PutRecords: the SDK's stack has no OperationSerializer to replace")
	}
	if _, err := stack.Serialize.Swap("OperationSerializer", &leanSerializer{sdk: sdk}); err != nil {
		return err
	}
	// The input holds only the stream name: the body was checked as it was
	// written. (Only LeanClient.putRecords calls through these options, and
	// always with a leanBody.)
	_, _ = stack.Initialize.Remove("OperationInputValidation")
	sdkDeserializer, ok := stack.Deserialize.Get("OperationDeserializer")
	if !ok {
		return fmt.Errorf("lean PutRecords: the SDK's stack has no OperationDeserializer to replace")
	}
	_, err := stack.Deserialize.Swap("OperationDeserializer", &leanDeserializer{sdk: sdkDeserializer})
	return err
}

// leanPlainBody is plainBody for a lean request: closing it also releases
// the body's buffer (once, however often net/http closes it).
type leanPlainBody struct {
	plainBody
	lb     *leanBody
	closed atomic.Bool
}

func (b *leanPlainBody) Close() error {
	err := b.plainBody.Close()
	if b.closed.CompareAndSwap(false, true) {
		b.lb.release()
	}
	return err
}

// leanDeserializer replaces the SDK's OperationDeserializer on lean calls.
// A 200 answer is read here into just what the sender uses (each entry's
// ErrorCode, ErrorMessage, ShardId and SequenceNumber, in place in a pooled
// buffer) and left in the call's leanBody; the SDK's deserializer is handed
// an empty object. Every other answer (errors, with their codes) is the
// SDK's to read.
type leanDeserializer struct {
	sdk middleware.DeserializeMiddleware
}

func (*leanDeserializer) ID() string { return "OperationDeserializer" }

func (m *leanDeserializer) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	lb, _ := ctx.Value(leanBodyKey{}).(*leanBody)
	var parseErr error
	read := middleware.DeserializeHandlerFunc(func(ctx context.Context, in middleware.DeserializeInput) (middleware.DeserializeOutput, middleware.Metadata, error) {
		out, md, err := next.HandleDeserialize(ctx, in)
		if err != nil || lb == nil {
			return out, md, err
		}
		resp, ok := out.RawResponse.(*smithyhttp.Response)
		if !ok || resp.StatusCode != http.StatusOK {
			return out, md, err
		}
		lb.answer, parseErr = readPutRecordsOutput(resp.Body, resp.ContentLength)
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(strings.NewReader("{}"))
		return out, md, err
	})
	out, md, err := m.sdk.HandleDeserialize(ctx, in, read)
	if err == nil && parseErr != nil {
		return out, md, &smithy.DeserializationError{Err: parseErr}
	}
	return out, md, err
}

// jsonPlainPrefix returns the length of the leading run of s that JSON
// holds as it is (jsonPlain: ASCII from 0x20 up but '"' and '\\'), eight
// bytes at a time: partition keys are usually plain throughout. As in
// plainPrefix, each flag is exact for the lowest byte it marks, so the
// lowest marked byte is the first byte that is not plain.
func jsonPlainPrefix(s string) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		q, e := w^('"'*ones), w^('\\'*ones)
		if m := ((q-ones)&^q | (e-ones)&^e | (w-0x20*ones)&^w | w) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s) && jsonPlain[s[i]]; i++ {
	}
	return i
}
