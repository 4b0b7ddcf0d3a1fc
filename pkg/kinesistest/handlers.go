package kinesistest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

const (
	targetPrefix     = "Kinesis_20131202."
	contentType      = "application/x-amz-json-1.1"
	maxRecords       = 500
	maxRequestBytes  = 5 << 20  // data plus partition keys of one PutRecords
	maxBodyBytes     = 16 << 20 // base64 makes 5 MiB about 6.7 MiB of JSON
	maxGetRecords    = 10000
	maxGetBytes      = 10 << 20
	defaultListLimit = 1000
)

// apiError is an error answer: an HTTP status and a Kinesis error code.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func validationError(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "ValidationException", msg: fmt.Sprintf(format, args...)}
}

func invalidArgument(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidArgumentException", msg: fmt.Sprintf(format, args...)}
}

var internalFailure = &apiError{status: http.StatusInternalServerError, code: "InternalFailure", msg: "injected internal failure"}

// Pools of request bodies and PutRecords answers: at benchmark rates they
// would otherwise be most of the garbage.
var (
	bufPool  = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	respPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}
)

// serveHTTP answers one JSON 1.1 request.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.stats.requests.Add(1)
	op, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	counter, known := s.stats.ops[op]
	if !known {
		s.stats.ops["unknown"].Add(1)
		s.writeError(w, &apiError{status: http.StatusBadRequest, code: "UnknownOperationException",
			msg: fmt.Sprintf("unknown X-Amz-Target %q", r.Header.Get("X-Amz-Target"))})
		return
	}
	counter.Add(1)

	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBodyBytes)); err != nil {
		s.writeError(w, &apiError{status: http.StatusBadRequest, code: "SerializationException", msg: "reading request body: " + err.Error()})
		return
	}
	c := &call{s: s, w: w, r: r, body: buf.Bytes()}
	var err *apiError
	switch op {
	case "CreateStream":
		err = s.opCreateStream(c)
	case "DescribeStreamSummary":
		err = s.describeStreamSummary(c)
	case "ListShards":
		err = s.listShards(c)
	case "PutRecord":
		err = s.putRecord(c)
	case "PutRecords":
		err = s.putRecords(c)
	case "GetShardIterator":
		err = s.getShardIterator(c)
	case "GetRecords":
		err = s.getRecords(c)
	case "SplitShard":
		err = s.splitShard(c)
	}
	if err != nil {
		s.writeError(w, err)
	}
}

// call is one request being answered.
type call struct {
	s    *Server
	w    http.ResponseWriter
	r    *http.Request
	body []byte
}

func (c *call) decode(v any) *apiError {
	if err := json.Unmarshal(c.body, v); err != nil {
		return &apiError{status: http.StatusBadRequest, code: "SerializationException", msg: "invalid JSON body: " + err.Error()}
	}
	return nil
}

// injectFaults draws the request-level faults and applies those that act
// before storing. It reports false when the request was answered (500) or
// dropped (reset); lose tells the caller to drop the answer after storing.
func (c *call) injectFaults(records int) (proceed, lose bool) {
	rf := c.s.drawRequestFaults()
	if rf.delay > 0 {
		c.s.stats.delays.Add(1)
		c.s.stats.delayNanos.Add(int64(rf.delay))
		c.s.sleep(c.r.Context(), rf.delay)
	}
	switch {
	case rf.reset:
		c.s.stats.resets.Add(1)
		c.s.stats.resetRecords.Add(int64(records))
		dropConnection(c.w, true)
		return false, false
	case rf.fail500:
		c.s.stats.fail500.Add(1)
		c.s.writeError(c.w, internalFailure)
		return false, false
	}
	return true, rf.lose
}

// dropConnection closes the client's connection without answering: with a
// TCP RST when rst is set, else with an ordinary close (FIN).
func dropConnection(w http.ResponseWriter, rst bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		// HTTP/2 and other writers that cannot be hijacked: abort the stream.
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok && rst {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// respond writes a 200 answer, or drops it when lose is set.
func (c *call) respond(body []byte, lose bool) {
	if lose {
		dropConnection(c.w, false)
		return
	}
	h := c.w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(body)
}

func (c *call) respondJSON(v any, lose bool) *apiError {
	b, err := json.Marshal(v)
	if err != nil {
		return &apiError{status: http.StatusInternalServerError, code: "InternalFailure", msg: err.Error()}
	}
	c.respond(b, lose)
	return nil
}

func (s *Server) writeError(w http.ResponseWriter, e *apiError) {
	if e.status >= 400 && e.status < 500 && e.code != "ProvisionedThroughputExceededException" {
		s.stats.clientErrors.Add(1)
	}
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.code, e.msg})
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Amzn-ErrorType", e.code)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}

// findStream resolves a request's StreamName and/or StreamARN.
func (s *Server) findStream(name, arn string) (*stream, *apiError) {
	if arn != "" {
		prefix := fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/", s.opts.Region, s.opts.AccountID)
		fromARN, ok := strings.CutPrefix(arn, prefix)
		if !ok || fromARN == "" {
			return nil, &apiError{status: http.StatusBadRequest, code: "ResourceNotFoundException",
				msg: fmt.Sprintf("Stream %s not found: this server holds only streams of %s", arn, prefix)}
		}
		if name != "" && name != fromARN {
			return nil, invalidArgument("StreamName %s does not match StreamARN %s.", name, arn)
		}
		name = fromARN
	}
	if name == "" {
		return nil, validationError("Either StreamName or StreamARN should be provided.")
	}
	st := s.stream(name)
	if st == nil {
		return nil, &apiError{status: http.StatusBadRequest, code: "ResourceNotFoundException",
			msg: fmt.Sprintf("Stream %s under account %s not found.", name, s.opts.AccountID)}
	}
	return st, nil
}

func (s *Server) opCreateStream(c *call) *apiError {
	var in struct {
		StreamName        string
		ShardCount        *int
		StreamModeDetails *struct{ StreamMode string }
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	onDemand := in.StreamModeDetails != nil && in.StreamModeDetails.StreamMode == "ON_DEMAND"
	shards := 0
	switch {
	case in.ShardCount != nil:
		shards = *in.ShardCount
	case onDemand:
		shards = 4 // an on-demand stream starts with 4 shards
	default:
		return validationError("ShardCount is required for a PROVISIONED stream.")
	}
	if !streamNamePattern.MatchString(in.StreamName) {
		return validationError("Value '%s' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length 1..128", in.StreamName)
	}
	if shards < 1 || shards > 10000 {
		return validationError("Value '%d' at 'shardCount' failed to satisfy constraint: Member must have value between 1 and 10000", shards)
	}
	if err := s.createStream(in.StreamName, shards, onDemand); err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return ae
		}
		return invalidArgument("%s", err.Error())
	}
	c.respond([]byte("{}"), false)
	return nil
}

func (s *Server) describeStreamSummary(c *call) *apiError {
	var in struct{ StreamName, StreamARN string }
	if err := c.decode(&in); err != nil {
		return err
	}
	st, err := s.findStream(in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	mode := "PROVISIONED"
	if st.onDemand {
		mode = "ON_DEMAND"
	}
	type modeDetails struct{ StreamMode string }
	type metrics struct{ ShardLevelMetrics []string }
	summary := struct {
		StreamName              string
		StreamARN               string
		StreamStatus            string
		StreamModeDetails       modeDetails
		RetentionPeriodHours    int
		StreamCreationTimestamp json.Number
		EnhancedMonitoring      []metrics
		EncryptionType          string
		OpenShardCount          int
		ConsumerCount           int
		MaxRecordSizeInKiB      int64
	}{
		StreamName: st.name, StreamARN: st.arn, StreamStatus: "ACTIVE",
		StreamModeDetails:       modeDetails{mode},
		RetentionPeriodHours:    24,
		StreamCreationTimestamp: epochSeconds(st.created),
		EnhancedMonitoring:      []metrics{{ShardLevelMetrics: []string{}}},
		EncryptionType:          "NONE",
		OpenShardCount:          len(st.layout.Load().open),
		MaxRecordSizeInKiB:      st.maxRecordSize.Load(),
	}
	return c.respondJSON(struct{ StreamDescriptionSummary any }{summary}, false)
}

// epochSeconds formats t as the JSON 1.1 protocol's timestamps: seconds
// since the epoch with millisecond precision.
func epochSeconds(t time.Time) json.Number {
	ms := t.UnixMilli()
	return json.Number(fmt.Sprintf("%d.%03d", ms/1000, ms%1000))
}

func (s *Server) listShards(c *call) *apiError {
	var in struct {
		StreamName, StreamARN, NextToken, ExclusiveStartShardId string
		MaxResults                                              *int
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	limit := defaultListLimit
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 10000 {
			return validationError("Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 10000", *in.MaxResults)
		}
		limit = *in.MaxResults
	}
	start := 0
	if in.NextToken != "" {
		if in.StreamName != "" || in.ExclusiveStartShardId != "" {
			return invalidArgument("NextToken and StreamName or ExclusiveStartShardId cannot be provided together.")
		}
		name, offset, ok := decodeToken("list", in.NextToken)
		if !ok {
			return invalidArgument("Invalid NextToken.")
		}
		in.StreamName, start = name, offset
	}
	st, err := s.findStream(in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	shards := st.layout.Load().shards
	if in.ExclusiveStartShardId != "" {
		start = len(shards)
		for i, sh := range shards {
			if sh.id > in.ExclusiveStartShardId {
				start = i
				break
			}
		}
	}
	type hashKeyRange struct{ StartingHashKey, EndingHashKey string }
	type seqRange struct {
		StartingSequenceNumber string
		EndingSequenceNumber   string `json:",omitempty"` // a closed shard's
	}
	type shardOut struct {
		ShardId             string
		ParentShardId       string `json:",omitempty"`
		HashKeyRange        hashKeyRange
		SequenceNumberRange seqRange
	}
	out := struct {
		Shards    []shardOut
		NextToken string `json:",omitempty"`
	}{Shards: []shardOut{}}
	end := min(start+limit, len(shards))
	for _, sh := range shards[start:end] {
		seq := seqRange{StartingSequenceNumber: string(appendSequenceNumber(nil, sh.index, 0))}
		sh.mu.Lock()
		if sh.closed {
			// Past its last record: no record of the shard is at or after it.
			seq.EndingSequenceNumber = string(appendSequenceNumber(nil, sh.index, len(sh.records)))
		}
		sh.mu.Unlock()
		out.Shards = append(out.Shards, shardOut{
			ShardId:             sh.id,
			ParentShardId:       sh.parent,
			HashKeyRange:        hashKeyRange{sh.start.String(), sh.end.String()},
			SequenceNumberRange: seq,
		})
	}
	if end < len(shards) {
		out.NextToken = encodeToken("list", st.name, end)
	}
	return c.respondJSON(out, false)
}

// putEntry is one record of a PutRecord or PutRecords request.
type putEntry struct {
	Data            []byte
	PartitionKey    string
	ExplicitHashKey *string
}

// checkEntry validates a record as Kinesis does and returns its hash key.
// field names it in messages ("records.3.member." or "").
func checkEntry(e *putEntry, field string, maxSize int) (uint128, *apiError) {
	if e.Data == nil {
		return uint128{}, validationError("1 validation error detected: Value null at '%sdata' failed to satisfy constraint: Member must not be null", field)
	}
	if n := utf8.RuneCountInString(e.PartitionKey); n < 1 || n > 256 {
		return uint128{}, validationError("1 validation error detected: Value '%s' at '%spartitionKey' failed to satisfy constraint: Member must have length between 1 and 256", e.PartitionKey, field)
	}
	if size := len(e.Data) + len(e.PartitionKey); size > maxSize {
		return uint128{}, invalidArgument("Record size %d bytes (data plus partition key) at '%sdata' exceeds the stream's limit of %d bytes.", size, field, maxSize)
	}
	if e.ExplicitHashKey == nil {
		return partitionHash(e.PartitionKey), nil
	}
	h, err := parseHashKey(*e.ExplicitHashKey)
	switch {
	case errors.Is(err, errHashKeyPattern):
		return uint128{}, validationError("1 validation error detected: Value '%s' at '%sexplicitHashKey' failed to satisfy constraint: Member %s", *e.ExplicitHashKey, field, err)
	case err != nil:
		return uint128{}, invalidArgument("Invalid ExplicitHashKey. ExplicitHashKey %s. Specified value was %s.", err, *e.ExplicitHashKey)
	}
	return h, nil
}

// store puts one validated record into its shard, or reports the shard that
// throttled it.
func (s *Server) store(st *stream, e *putEntry, h uint128, now time.Time) (sh *shard, pos int, ok bool) {
	size := len(e.Data) + len(e.PartitionKey)
	r := storedRecord{dataLen: len(e.Data), at: now.UnixNano()}
	if s.opts.DiscardData {
		r.hash = HashData(e.Data)
	} else {
		r.data, r.key = e.Data, e.PartitionKey
		if e.ExplicitHashKey != nil {
			r.explicitKey = *e.ExplicitHashKey
		}
	}
	for {
		l := st.layout.Load()
		sh = l.open[shardFor(l.starts, h)]
		sh.mu.Lock()
		if !sh.closed {
			break
		}
		// Split after this request looked: the new layout has its children.
		sh.mu.Unlock()
	}
	if !sh.bucket.take(now, size) {
		sh.mu.Unlock()
		return sh, 0, false
	}
	pos = len(sh.records)
	r.arrival = st.arrivals.Add(1) - 1
	sh.records = append(sh.records, r)
	sh.mu.Unlock()
	return sh, pos, true
}

func (s *Server) throttleMessage(b []byte, st *stream, sh *shard) []byte {
	b = append(b, "Rate exceeded for shard "...)
	b = append(b, sh.id...)
	b = append(b, " in stream "...)
	b = append(b, st.name...)
	b = append(b, " under account "...)
	b = append(b, s.opts.AccountID...)
	return append(b, '.')
}

func (s *Server) putRecord(c *call) *apiError {
	var in struct {
		StreamName, StreamARN string
		putEntry
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	st, err := s.findStream(in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	h, err := checkEntry(&in.putEntry, "", int(st.maxRecordSize.Load())<<10)
	if err != nil {
		return err
	}
	s.stats.received.Add(1)
	proceed, lose := c.injectFaults(1)
	if !proceed {
		return nil
	}
	sh, pos, ok := s.store(st, &in.putEntry, h, s.now())
	if !ok {
		s.stats.throttled.Add(1)
		msg := string(s.throttleMessage(nil, st, sh))
		return &apiError{status: http.StatusBadRequest, code: "ProvisionedThroughputExceededException", msg: msg}
	}
	s.stats.accepted.Add(1)
	if lose {
		s.stats.lost.Add(1)
		s.stats.lostRecords.Add(1)
	}
	b := append([]byte(`{"EncryptionType":"NONE","SequenceNumber":"`), appendSequenceNumber(nil, sh.index, pos)...)
	b = append(b, `","ShardId":"`...)
	b = append(b, sh.id...)
	b = append(b, `"}`...)
	c.respond(b, lose)
	return nil
}

func (s *Server) putRecords(c *call) *apiError {
	var in putRecordsInput
	if err := decodePutRecords(c.body, &in); err != nil {
		return &apiError{status: http.StatusBadRequest, code: "SerializationException", msg: "invalid JSON body: " + err.Error()}
	}
	st, err := s.findStream(in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	n := len(in.Records)
	if n < 1 || n > maxRecords {
		return validationError("1 validation error detected: Value with %d records at 'records' failed to satisfy constraint: Member must have length between 1 and %d", n, maxRecords)
	}
	maxSize := int(st.maxRecordSize.Load()) << 10
	hashes := make([]uint128, n)
	total := 0
	for i := range in.Records {
		h, err := checkEntry(&in.Records[i], "records."+strconv.Itoa(i+1)+".member.", maxSize)
		if err != nil {
			return err
		}
		hashes[i] = h
		total += len(in.Records[i].Data) + len(in.Records[i].PartitionKey)
	}
	if total > maxRequestBytes {
		return invalidArgument("Records size %d bytes exceeds the %d byte (5 MiB) limit of a PutRecords request.", total, maxRequestBytes)
	}
	s.stats.received.Add(int64(n))
	reply, scripted := c.runScript(st.name, in.Records)
	if scripted && c.answerScripted(&reply) {
		return nil
	}
	lose := reply.LoseResponse
	var failures []bool
	if !scripted {
		var proceed bool
		if proceed, lose = c.injectFaults(n); !proceed {
			return nil
		}
		failures = s.drawRecordFailures(n)
	}
	now := s.now()

	out := respPool.Get().(*[]byte)
	defer respPool.Put(out)
	b := append((*out)[:0], `{"EncryptionType":"NONE","Records":[`...)
	failed, accepted := 0, 0
	for i := range in.Records {
		if i > 0 {
			b = append(b, ',')
		}
		if failures != nil && failures[i] {
			failed++
			s.stats.recordFailures.Add(1)
			b = append(b, `{"ErrorCode":"InternalFailure","ErrorMessage":"Internal service failure."}`...)
			continue
		}
		if code, ok := reply.RecordErrors[i]; ok {
			failed++
			b = appendRecordError(b, code, reply.Message)
			continue
		}
		sh, pos, ok := s.store(st, &in.Records[i], hashes[i], now)
		if !ok {
			failed++
			s.stats.throttled.Add(1)
			b = append(b, `{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"`...)
			b = s.throttleMessage(b, st, sh)
			b = append(b, `"}`...)
			continue
		}
		accepted++
		b = append(b, `{"SequenceNumber":"`...)
		b = appendSequenceNumber(b, sh.index, pos)
		b = append(b, `","ShardId":"`...)
		b = append(b, sh.id...)
		b = append(b, `"}`...)
	}
	b = append(b, `],"FailedRecordCount":`...)
	b = strconv.AppendInt(b, int64(failed), 10)
	b = append(b, '}')
	s.stats.accepted.Add(int64(accepted))
	if lose {
		s.stats.lost.Add(1)
		s.stats.lostRecords.Add(int64(accepted))
	}
	c.respond(b, lose)
	*out = b // keep the grown buffer for the next request
	return nil
}

// runScript calls the Options.Script, if any, for a PutRecords request and
// reports whether it answered with a Reply other than the zero one.
func (c *call) runScript(stream string, records []putEntry) (Reply, bool) {
	if c.s.opts.Script == nil {
		return Reply{}, false
	}
	ctx, cancel := context.WithCancel(c.r.Context())
	defer cancel()
	go func() {
		select {
		case <-c.s.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	sc := &Call{Context: ctx, N: int(c.s.stats.scriptCalls.Add(1) - 1), Stream: stream, Records: make([]Entry, len(records))}
	for i, e := range records {
		sc.Records[i] = Entry{Data: e.Data, PartitionKey: e.PartitionKey}
		if e.ExplicitHashKey != nil {
			sc.Records[i].ExplicitHashKey = *e.ExplicitHashKey
		}
	}
	reply := c.s.opts.Script(sc)
	if reply.isZero() {
		return reply, false
	}
	c.s.stats.scripted.Add(1)
	return reply, true
}

// answerScripted answers a request as a Script's reply says when the reply
// stores nothing (Hang, Body, ErrorCode), and reports whether it did.
func (c *call) answerScripted(reply *Reply) bool {
	switch {
	case reply.Hang:
		select {
		case <-c.r.Context().Done():
		case <-c.s.closing:
		}
		dropConnection(c.w, false)
	case reply.Body != nil:
		ct, status := cmp.Or(reply.ContentType, contentType), cmp.Or(reply.Status, http.StatusOK)
		h := c.w.Header()
		h.Set("Content-Type", ct)
		h.Set("Content-Length", strconv.Itoa(len(reply.Body)))
		c.w.WriteHeader(status)
		_, _ = c.w.Write(reply.Body)
	case reply.ErrorCode != "":
		c.s.writeError(c.w, &apiError{status: cmp.Or(reply.Status, errorStatus(reply.ErrorCode)), code: reply.ErrorCode, msg: reply.Message})
	default:
		return false
	}
	return true
}

// appendRecordError appends a PutRecords result entry failed with code
// and msg ("Injected by a Script." when empty).
func appendRecordError(b []byte, code, msg string) []byte {
	q, _ := json.Marshal(code)
	b = append(b, `{"ErrorCode":`...)
	b = append(b, q...)
	b = append(b, `,"ErrorMessage":`...)
	q, _ = json.Marshal(cmp.Or(msg, "Injected by a Script."))
	b = append(b, q...)
	return append(b, '}')
}

// appendSequenceNumber appends the sequence number of the record at pos in
// shard index: "49", the shard index in 6 digits, pos in 22 digits. They
// grow within a shard, as in Kinesis.
func appendSequenceNumber(b []byte, shard, pos int) []byte {
	b = append(b, '4', '9')
	b = appendPadded(b, uint64(shard), 6)
	return appendPadded(b, uint64(pos), 22)
}

func appendPadded(b []byte, v uint64, width int) []byte {
	var d [24]byte
	s := strconv.AppendUint(d[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// parseSequenceNumber inverts appendSequenceNumber.
func parseSequenceNumber(s string) (shard, pos int, ok bool) {
	if len(s) != 30 || s[:2] != "49" {
		return 0, 0, false
	}
	sh, err1 := strconv.ParseUint(s[2:8], 10, 32)
	p, err2 := strconv.ParseUint(s[8:], 10, 62)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return int(sh), int(p), true
}

// encodeToken makes an opaque token (shard iterator, NextToken) of a kind,
// a stream name and a number.
func encodeToken(kind, streamName string, n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + "/" + streamName + "/" + strconv.Itoa(n)))
}

func decodeToken(kind, token string) (streamName string, n int, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", 0, false
	}
	parts := strings.Split(string(raw), "/")
	if len(parts) != 3 || parts[0] != kind {
		return "", 0, false
	}
	n, err = strconv.Atoi(parts[2])
	if err != nil || n < 0 {
		return "", 0, false
	}
	return parts[1], n, true
}

// Shard iterators name a stream, a shard and a position in it.
func encodeIterator(streamName string, shard, pos int) string {
	return encodeToken("it", streamName+":"+strconv.Itoa(shard), pos)
}

func decodeIterator(it string) (streamName string, shard, pos int, ok bool) {
	name, pos, ok := decodeToken("it", it)
	if !ok {
		return "", 0, 0, false
	}
	name, idx, found := strings.Cut(name, ":")
	shard, err := strconv.Atoi(idx)
	if !found || err != nil {
		return "", 0, 0, false
	}
	return name, shard, pos, true
}

func (s *Server) getShardIterator(c *call) *apiError {
	var in struct {
		StreamName, StreamARN, ShardId, ShardIteratorType, StartingSequenceNumber string
		Timestamp                                                                 *float64
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	st, err := s.findStream(in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	var sh *shard
	for _, x := range st.layout.Load().shards {
		if x.id == in.ShardId {
			sh = x
		}
	}
	if sh == nil {
		return &apiError{status: http.StatusBadRequest, code: "ResourceNotFoundException",
			msg: fmt.Sprintf("Shard %s in stream %s under account %s does not exist", in.ShardId, st.name, s.opts.AccountID)}
	}
	sh.mu.Lock()
	length := len(sh.records)
	sh.mu.Unlock()
	var pos int
	switch in.ShardIteratorType {
	case "TRIM_HORIZON":
		pos = 0
	case "LATEST":
		pos = length
	case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
		idx, p, ok := parseSequenceNumber(in.StartingSequenceNumber)
		if !ok || idx != sh.index || p >= length {
			return invalidArgument("StartingSequenceNumber %s used in GetShardIterator on shard %s in stream %s under account %s is invalid.", in.StartingSequenceNumber, sh.id, st.name, s.opts.AccountID)
		}
		pos = p
		if in.ShardIteratorType == "AFTER_SEQUENCE_NUMBER" {
			pos++
		}
	case "AT_TIMESTAMP":
		if in.Timestamp == nil {
			return invalidArgument("Timestamp is required for AT_TIMESTAMP.")
		}
		at := int64(*in.Timestamp * 1e9)
		sh.mu.Lock()
		pos = len(sh.records)
		for i, r := range sh.records {
			if r.at >= at {
				pos = i
				break
			}
		}
		sh.mu.Unlock()
	default:
		return validationError("1 validation error detected: Value '%s' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]", in.ShardIteratorType)
	}
	lose := false
	if s.opts.Faults.Reads {
		var proceed bool
		if proceed, lose = c.injectFaults(0); !proceed {
			return nil
		}
	}
	return c.respondJSON(struct{ ShardIterator string }{encodeIterator(st.name, sh.index, pos)}, lose)
}

func (s *Server) getRecords(c *call) *apiError {
	var in struct {
		ShardIterator string
		Limit         *int
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	limit := maxGetRecords
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > maxGetRecords {
			return validationError("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and %d", *in.Limit, maxGetRecords)
		}
		limit = *in.Limit
	}
	name, idx, pos, ok := decodeIterator(in.ShardIterator)
	if !ok {
		return invalidArgument("Invalid ShardIterator.")
	}
	st := s.stream(name)
	var l *layout
	if st != nil {
		l = st.layout.Load()
	}
	if l == nil || idx >= len(l.shards) {
		return &apiError{status: http.StatusBadRequest, code: "ResourceNotFoundException",
			msg: fmt.Sprintf("Shard iterator refers to stream %s, which does not exist.", name)}
	}
	lose := false
	if s.opts.Faults.Reads {
		var proceed bool
		if proceed, lose = c.injectFaults(0); !proceed {
			return nil
		}
	}
	type recordOut struct {
		SequenceNumber              string
		ApproximateArrivalTimestamp json.Number
		Data                        []byte
		PartitionKey                string
		EncryptionType              string
	}
	type childShard struct {
		ShardId      string
		ParentShards []string
		HashKeyRange struct{ StartingHashKey, EndingHashKey string }
	}
	sh := l.shards[idx]
	out := struct {
		Records            []recordOut
		NextShardIterator  *string `json:",omitempty"`
		MillisBehindLatest int64
		ChildShards        []childShard `json:",omitempty"`
	}{Records: []recordOut{}}
	sh.mu.Lock()
	bytesOut := 0
	for pos < len(sh.records) && len(out.Records) < limit && bytesOut < maxGetBytes {
		r := sh.records[pos]
		data := r.data
		if data == nil {
			data = []byte{}
		}
		out.Records = append(out.Records, recordOut{
			SequenceNumber:              string(appendSequenceNumber(nil, sh.index, pos)),
			ApproximateArrivalTimestamp: epochSeconds(time.Unix(0, r.at)),
			Data:                        data, PartitionKey: r.key, EncryptionType: "NONE",
		})
		bytesOut += r.dataLen + len(r.key)
		pos++
	}
	if pos < len(sh.records) {
		behind := s.now().Sub(time.Unix(0, sh.records[pos].at)).Milliseconds()
		out.MillisBehindLatest = max(behind, 0)
	}
	atEnd := sh.closed && pos >= len(sh.records)
	sh.mu.Unlock()
	if !atEnd {
		next := encodeIterator(st.name, idx, pos)
		out.NextShardIterator = &next
		return c.respondJSON(out, lose)
	}
	// The end of a closed shard: no next iterator, and the shards to read on.
	for _, child := range l.shards {
		if child.parent == sh.id {
			cs := childShard{ShardId: child.id, ParentShards: []string{sh.id}}
			cs.HashKeyRange.StartingHashKey, cs.HashKeyRange.EndingHashKey = child.start.String(), child.end.String()
			out.ChildShards = append(out.ChildShards, cs)
		}
	}
	return c.respondJSON(out, lose)
}

func (s *Server) splitShard(c *call) *apiError {
	var in struct{ StreamName, StreamARN, ShardToSplit, NewStartingHashKey string }
	if err := c.decode(&in); err != nil {
		return err
	}
	st, err := s.findStream(in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	if in.ShardToSplit == "" {
		return validationError("1 validation error detected: Value null at 'shardToSplit' failed to satisfy constraint: Member must not be null")
	}
	key, perr := parseHashKey(in.NewStartingHashKey)
	switch {
	case in.NewStartingHashKey == "":
		return validationError("1 validation error detected: Value null at 'newStartingHashKey' failed to satisfy constraint: Member must not be null")
	case errors.Is(perr, errHashKeyPattern):
		return validationError("1 validation error detected: Value '%s' at 'newStartingHashKey' failed to satisfy constraint: Member %s", in.NewStartingHashKey, perr)
	case perr != nil:
		return invalidArgument("Invalid NewStartingHashKey. NewStartingHashKey %s. Specified value was %s.", perr, in.NewStartingHashKey)
	}
	if err := s.split(st, in.ShardToSplit, key); err != nil {
		return err
	}
	c.respond([]byte("{}"), false)
	return nil
}

// split closes an open shard and opens two children that share its hash key
// range at key, as SplitShard does.
func (s *Server) split(st *stream, shardID string, key uint128) *apiError {
	st.reshard.Lock()
	defer st.reshard.Unlock()
	old := st.layout.Load()
	at := -1 // the parent's place among the open shards
	for i, sh := range old.open {
		if sh.id == shardID {
			at = i
		}
	}
	if at < 0 {
		for _, sh := range old.shards {
			if sh.id == shardID {
				return &apiError{status: http.StatusBadRequest, code: "ResourceInUseException",
					msg: fmt.Sprintf("Shard %s in stream %s under account %s is not open: it was split before.", shardID, st.name, s.opts.AccountID)}
			}
		}
		return &apiError{status: http.StatusBadRequest, code: "ResourceNotFoundException",
			msg: fmt.Sprintf("Could not find shard %s in stream %s under account %s.", shardID, st.name, s.opts.AccountID)}
	}
	parent := old.open[at]
	// Each child needs at least two hash keys, as Kinesis demands.
	if key == (uint128{}) || !parent.start.less(key.prev()) || !key.less(parent.end) {
		return invalidArgument("NewStartingHashKey %s used in SplitShard() on shard %s in stream %s under account %s is not both greater than one plus the shard's StartingHashKey %s and less than the shard's EndingHashKey %s.",
			key, parent.id, st.name, s.opts.AccountID, parent.start, parent.end)
	}
	now := s.now()
	n := len(old.shards)
	low := s.newShard(n, parent.start, key.prev(), parent.id, now)
	high := s.newShard(n+1, key, parent.end, parent.id, now)
	l := &layout{shards: append(old.shards[:n:n], low, high)}
	l.open = append(append(append([]*shard{}, old.open[:at]...), low, high), old.open[at+1:]...)
	for _, sh := range l.open {
		l.starts = append(l.starts, sh.start)
	}
	// Writes routed by the old layout that reach the parent after it closed
	// route again (see store), and find the children.
	st.layout.Store(l)
	parent.mu.Lock()
	parent.closed = true
	parent.mu.Unlock()
	return nil
}

// errorStatus is the HTTP status AWS answers an error code with: 500 for
// InternalFailure, 503 for ServiceUnavailable, 400 for the rest (client
// errors, throttling included).
func errorStatus(code string) int {
	switch code {
	case "InternalFailure":
		return http.StatusInternalServerError
	case "ServiceUnavailable":
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}
