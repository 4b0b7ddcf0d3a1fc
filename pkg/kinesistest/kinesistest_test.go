package kinesistest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// newServer starts a server with the given streams (name → shards) and
// returns it with an SDK client that does not retry.
func newServer(t testing.TB, opts kinesistest.Options, streams map[string]int) (*kinesistest.Server, *kinesis.Client) {
	t.Helper()
	srv := kinesistest.NewServer(opts)
	t.Cleanup(srv.Close)
	for name, shards := range streams {
		if err := srv.CreateStream(name, shards); err != nil {
			t.Fatal(err)
		}
	}
	return srv, srv.NewClient()
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func entries(n int, prefix string) []types.PutRecordsRequestEntry {
	out := make([]types.PutRecordsRequestEntry, n)
	for i := range out {
		out[i] = types.PutRecordsRequestEntry{
			Data:         []byte(fmt.Sprintf("%s-%d", prefix, i)),
			PartitionKey: aws.String(fmt.Sprintf("key-%d", i)),
		}
	}
	return out
}

func TestCreateAndDescribeStream(t *testing.T) {
	srv, client := newServer(t, kinesistest.Options{Region: "eu-west-1", AccountID: "123456789012"}, nil)
	ctx := context.Background()
	if _, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("events"), ShardCount: aws.Int32(3)}); err != nil {
		t.Fatalf("CreateStream: %v", err)
	}
	if err := srv.SetMaxRecordSize("events", 2048); err != nil {
		t.Fatal(err)
	}
	_, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("events"), ShardCount: aws.Int32(1)})
	if got := errorCode(err); got != "ResourceInUseException" {
		t.Errorf("CreateStream of an existing stream: error code %q (%v), want ResourceInUseException", got, err)
	}
	const arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/events"
	tests := []struct {
		name     string
		in       kinesis.DescribeStreamSummaryInput
		wantCode string
	}{
		{"by name", kinesis.DescribeStreamSummaryInput{StreamName: aws.String("events")}, ""},
		{"by ARN", kinesis.DescribeStreamSummaryInput{StreamARN: aws.String(arn)}, ""},
		{"unknown name", kinesis.DescribeStreamSummaryInput{StreamName: aws.String("nope")}, "ResourceNotFoundException"},
		{"ARN of another account", kinesis.DescribeStreamSummaryInput{StreamARN: aws.String("arn:aws:kinesis:eu-west-1:999999999999:stream/events")}, "ResourceNotFoundException"},
		{"neither", kinesis.DescribeStreamSummaryInput{}, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.DescribeStreamSummary(ctx, &tt.in)
			if tt.wantCode != "" {
				if got := errorCode(err); got != tt.wantCode {
					t.Fatalf("error code %q (%v), want %s", got, err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := out.StreamDescriptionSummary
			if aws.ToString(s.StreamName) != "events" || aws.ToString(s.StreamARN) != arn ||
				s.StreamStatus != types.StreamStatusActive || aws.ToInt32(s.OpenShardCount) != 3 ||
				s.StreamModeDetails == nil || s.StreamModeDetails.StreamMode != types.StreamModeProvisioned ||
				aws.ToInt32(s.RetentionPeriodHours) != 24 || s.EncryptionType != types.EncryptionTypeNone ||
				aws.ToInt32(s.MaxRecordSizeInKiB) != 2048 || s.StreamCreationTimestamp == nil {
				t.Errorf("summary = %+v", s)
			}
		})
	}
}

func TestListShards(t *testing.T) {
	_, client := newServer(t, kinesistest.Options{}, map[string]int{"three": 3, "two": 2})
	ctx := context.Background()
	// The ranges Kinesis gives a new 3-shard and 2-shard stream.
	want := map[string][][2]string{
		"three": {
			{"0", "113427455640312821154458202477256070484"},
			{"113427455640312821154458202477256070485", "226854911280625642308916404954512140969"},
			{"226854911280625642308916404954512140970", "340282366920938463463374607431768211455"},
		},
		"two": {
			{"0", "170141183460469231731687303715884105727"},
			{"170141183460469231731687303715884105728", "340282366920938463463374607431768211455"},
		},
	}
	for stream, ranges := range want {
		t.Run(stream, func(t *testing.T) {
			// Page one shard at a time to exercise NextToken.
			var got []types.Shard
			in := &kinesis.ListShardsInput{StreamName: aws.String(stream), MaxResults: aws.Int32(1)}
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("NextToken never ends")
				}
				out, err := client.ListShards(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, out.Shards...)
				if out.NextToken == nil {
					break
				}
				in = &kinesis.ListShardsInput{NextToken: out.NextToken, MaxResults: aws.Int32(1)}
			}
			if len(got) != len(ranges) {
				t.Fatalf("got %d shards, want %d", len(got), len(ranges))
			}
			for i, sh := range got {
				if id := fmt.Sprintf("shardId-%012d", i); aws.ToString(sh.ShardId) != id {
					t.Errorf("shard %d: id %s, want %s", i, aws.ToString(sh.ShardId), id)
				}
				if r := sh.HashKeyRange; aws.ToString(r.StartingHashKey) != ranges[i][0] || aws.ToString(r.EndingHashKey) != ranges[i][1] {
					t.Errorf("shard %d: range %s..%s, want %s..%s", i, aws.ToString(r.StartingHashKey), aws.ToString(r.EndingHashKey), ranges[i][0], ranges[i][1])
				}
				if sh.SequenceNumberRange == nil || aws.ToString(sh.SequenceNumberRange.StartingSequenceNumber) == "" {
					t.Errorf("shard %d: no starting sequence number", i)
				}
			}
		})
	}
	_, err := client.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("two"), NextToken: aws.String("x")})
	if got := errorCode(err); got != "InvalidArgumentException" {
		t.Errorf("NextToken with StreamName: code %q, want InvalidArgumentException", got)
	}
}

func TestPutRecordRouting(t *testing.T) {
	_, client := newServer(t, kinesistest.Options{}, map[string]int{"two": 2, "four": 4})
	ctx := context.Background()
	// MD5 of the key, read as a big-endian number, picks the shard: "a" is
	// 0cc175b9..., "c" 4a8a08f0..., "b" 92eb5ffe..., "e" e1671797....
	tests := []struct {
		stream, key, explicit string
		wantShard             int
	}{
		{"two", "a", "", 0},
		{"two", "c", "", 0},
		{"two", "b", "", 1},
		{"two", "e", "", 1},
		{"four", "a", "", 0},
		{"four", "c", "", 1},
		{"four", "b", "", 2},
		{"four", "e", "", 3},
		{"two", "e", "0", 0},
		{"two", "a", "170141183460469231731687303715884105727", 0},
		{"two", "a", "170141183460469231731687303715884105728", 1},
		{"two", "a", "340282366920938463463374607431768211455", 1},
		{"four", "e", "0", 0},
		{"four", "a", "255211775190703847597530955573826158591", 2},
		{"four", "a", "340282366920938463463374607431768211455", 3},
	}
	for _, tt := range tests {
		t.Run(tt.stream+"/"+tt.key+"/"+tt.explicit, func(t *testing.T) {
			in := &kinesis.PutRecordInput{StreamName: aws.String(tt.stream), Data: []byte("x"), PartitionKey: aws.String(tt.key)}
			if tt.explicit != "" {
				in.ExplicitHashKey = aws.String(tt.explicit)
			}
			out, err := client.PutRecord(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("shardId-%012d", tt.wantShard); aws.ToString(out.ShardId) != want {
				t.Errorf("shard %s, want %s", aws.ToString(out.ShardId), want)
			}
			if aws.ToString(out.SequenceNumber) == "" {
				t.Error("no sequence number")
			}
		})
	}
	if got, want := kinesistest.HashKey("a"), "16955237001963240173058271559858726497"; got != want {
		t.Errorf(`HashKey("a") = %s, want %s`, got, want)
	}
}

func TestPutRecordsAndRead(t *testing.T) {
	srv, client := newServer(t, kinesistest.Options{}, map[string]int{"s": 1})
	ctx := context.Background()
	out, err := client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: entries(10, "r")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.FailedRecordCount) != 0 || len(out.Records) != 10 {
		t.Fatalf("FailedRecordCount %d, %d results", aws.ToInt32(out.FailedRecordCount), len(out.Records))
	}
	seqs := make([]string, 10)
	for i, r := range out.Records {
		seqs[i] = aws.ToString(r.SequenceNumber)
		if aws.ToString(r.ShardId) != "shardId-000000000000" || seqs[i] == "" || (i > 0 && seqs[i] <= seqs[i-1]) {
			t.Errorf("result %d = shard %s seq %s", i, aws.ToString(r.ShardId), seqs[i])
		}
	}

	readAll := func(it *string, limit int32) (data []string, next *string, behind int64) {
		t.Helper()
		for range 20 {
			got, err := client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(limit)})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Records) > int(limit) {
				t.Fatalf("GetRecords returned %d records over Limit %d", len(got.Records), limit)
			}
			for _, r := range got.Records {
				data = append(data, string(r.Data))
				if r.ApproximateArrivalTimestamp == nil || time.Since(*r.ApproximateArrivalTimestamp) > time.Minute {
					t.Errorf("arrival timestamp %v", r.ApproximateArrivalTimestamp)
				}
			}
			it, behind = got.NextShardIterator, aws.ToInt64(got.MillisBehindLatest)
			if len(got.Records) == 0 {
				break
			}
		}
		return data, it, behind
	}
	iterator := func(typ types.ShardIteratorType, seq string) *string {
		t.Helper()
		in := &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: typ}
		if seq != "" {
			in.StartingSequenceNumber = aws.String(seq)
		}
		got, err := client.GetShardIterator(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return got.ShardIterator
	}
	tests := []struct {
		name  string
		typ   types.ShardIteratorType
		seq   string
		first int // index of the first record read
	}{
		{"TRIM_HORIZON", types.ShardIteratorTypeTrimHorizon, "", 0},
		{"AT_SEQUENCE_NUMBER", types.ShardIteratorTypeAtSequenceNumber, seqs[4], 4},
		{"AFTER_SEQUENCE_NUMBER", types.ShardIteratorTypeAfterSequenceNumber, seqs[4], 5},
		{"LATEST", types.ShardIteratorTypeLatest, "", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, _, behind := readAll(iterator(tt.typ, tt.seq), 3)
			var want []string
			for i := tt.first; i < 10; i++ {
				want = append(want, fmt.Sprintf("r-%d", i))
			}
			if strings.Join(data, ",") != strings.Join(want, ",") {
				t.Errorf("read %v, want %v", data, want)
			}
			if behind != 0 {
				t.Errorf("MillisBehindLatest %d at the tip, want 0", behind)
			}
		})
	}

	// A LATEST iterator sees what is written after it.
	it := iterator(types.ShardIteratorTypeLatest, "")
	if _, err := client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), Data: []byte("later"), PartitionKey: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if data, _, _ := readAll(it, 100); strings.Join(data, ",") != "later" {
		t.Errorf("after LATEST read %v, want [later]", data)
	}

	recs := srv.Records("s")
	if len(recs) != 11 {
		t.Fatalf("Records: %d, want 11", len(recs))
	}
	for i, r := range recs {
		if r.Arrival != int64(i) || r.ShardID != "shardId-000000000000" || r.DataHash != kinesistest.HashData(r.Data) || r.DataLen != len(r.Data) {
			t.Errorf("record %d = %+v", i, r)
		}
		if i < 10 && (string(r.Data) != fmt.Sprintf("r-%d", i) || r.PartitionKey != fmt.Sprintf("key-%d", i) || r.SequenceNumber != seqs[i]) {
			t.Errorf("record %d = %+v, want r-%d with sequence number %s", i, r, i, seqs[i])
		}
	}

	errTests := []struct {
		name string
		in   kinesis.GetShardIteratorInput
		want string
	}{
		{"unknown shard", kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000009"), ShardIteratorType: types.ShardIteratorTypeLatest}, "ResourceNotFoundException"},
		{"bad sequence number", kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String("123")}, "InvalidArgumentException"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.GetShardIterator(ctx, &tt.in)
			if got := errorCode(err); got != tt.want {
				t.Errorf("code %q (%v), want %s", got, err, tt.want)
			}
		})
	}
	_, err = client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String("garbage")})
	if got := errorCode(err); got != "InvalidArgumentException" {
		t.Errorf("GetRecords with a bad iterator: code %q, want InvalidArgumentException", got)
	}
}

func TestPutRecordsValidation(t *testing.T) {
	srv, client := newServer(t, kinesistest.Options{}, map[string]int{"s": 2, "big": 1})
	if err := srv.SetMaxRecordSize("big", 2048); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	withRecord := func(data []byte, key, explicit string) []types.PutRecordsRequestEntry {
		e := types.PutRecordsRequestEntry{Data: data, PartitionKey: aws.String(key)}
		if explicit != "" {
			e.ExplicitHashKey = aws.String(explicit)
		}
		return []types.PutRecordsRequestEntry{e}
	}
	oneMiB := bytes.Repeat([]byte("x"), 1<<20)
	tests := []struct {
		name    string
		stream  string
		records []types.PutRecordsRequestEntry
		want    string // error code; "" for success
	}{
		{"500 records", "s", entries(500, "x"), ""},
		{"no records", "s", []types.PutRecordsRequestEntry{}, "ValidationException"},
		{"501 records", "s", entries(501, "x"), "ValidationException"},
		{"empty partition key", "s", withRecord([]byte("d"), "", ""), "ValidationException"},
		{"256-character key", "s", withRecord([]byte("d"), strings.Repeat("é", 256), ""), ""},
		{"257-character key", "s", withRecord([]byte("d"), strings.Repeat("k", 257), ""), "ValidationException"},
		{"1 MiB data plus key", "s", withRecord(oneMiB[:1<<20-1], "k", ""), ""},
		{"over 1 MiB with the key", "s", withRecord(oneMiB, "k", ""), "InvalidArgumentException"},
		{"over 1 MiB on a 2 MiB stream", "big", withRecord(oneMiB, "k", ""), ""},
		{"request over 5 MiB", "s", func() []types.PutRecordsRequestEntry {
			var out []types.PutRecordsRequestEntry
			for range 6 {
				out = append(out, withRecord(oneMiB[:1000000], "k", "")...)
			}
			return out
		}(), "InvalidArgumentException"},
		{"hash key with leading zero", "s", withRecord([]byte("d"), "k", "01"), "ValidationException"},
		{"hash key not a number", "s", withRecord([]byte("d"), "k", "-1"), "ValidationException"},
		{"hash key 2^128", "s", withRecord([]byte("d"), "k", "340282366920938463463374607431768211456"), "InvalidArgumentException"},
		{"unknown stream", "nope", entries(1, "x"), "ResourceNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.Records(tt.stream))
			out, err := client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(tt.stream), Records: tt.records})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if aws.ToInt32(out.FailedRecordCount) != 0 || len(srv.Records(tt.stream))-before != len(tt.records) {
					t.Errorf("FailedRecordCount %d; stored %d of %d", aws.ToInt32(out.FailedRecordCount), len(srv.Records(tt.stream))-before, len(tt.records))
				}
				return
			}
			if got := errorCode(err); got != tt.want {
				t.Fatalf("code %q (%v), want %s", got, err, tt.want)
			}
			if after := len(srv.Records(tt.stream)); after != before {
				t.Errorf("a refused request stored %d records", after-before)
			}
		})
	}
}

// TestRawRequests checks answers to requests the SDK would not send.
func TestRawRequests(t *testing.T) {
	srv, _ := newServer(t, kinesistest.Options{}, map[string]int{"s": 1})
	tests := []struct {
		name, target, body string
		wantStatus         int
		wantType           string
	}{
		{"missing data", "Kinesis_20131202.PutRecords", `{"StreamName":"s","Records":[{"PartitionKey":"k"}]}`, 400, "ValidationException"},
		{"bad JSON", "Kinesis_20131202.PutRecords", `{"StreamName":`, 400, "SerializationException"},
		{"bad base64", "Kinesis_20131202.PutRecord", `{"StreamName":"s","PartitionKey":"k","Data":"!!"}`, 400, "SerializationException"},
		{"unknown operation", "Kinesis_20131202.DeleteStream", `{}`, 400, "UnknownOperationException"},
		{"no target", "", `{}`, 400, "UnknownOperationException"},
		{"create without shard count", "Kinesis_20131202.CreateStream", `{"StreamName":"t"}`, 400, "ValidationException"},
		{"create on-demand", "Kinesis_20131202.CreateStream", `{"StreamName":"od","StreamModeDetails":{"StreamMode":"ON_DEMAND"}}`, 200, ""},
		{"bad GetRecords limit", "Kinesis_20131202.GetRecords", `{"ShardIterator":"x","Limit":10001}`, 400, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", tt.target)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tt.wantStatus || body.Type != tt.wantType {
				t.Errorf("got %d %q (%s), want %d %q", resp.StatusCode, body.Type, body.Message, tt.wantStatus, tt.wantType)
			}
			if tt.wantType != "" && (body.Message == "" || resp.Header.Get("Content-Type") != "application/x-amz-json-1.1") {
				t.Errorf("error answer without message or content type: %+v %v", body, resp.Header)
			}
		})
	}
	out, err := srv.NewClient().DescribeStreamSummary(context.Background(), &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("od")})
	if err != nil {
		t.Fatal(err)
	}
	if s := out.StreamDescriptionSummary; s.StreamModeDetails.StreamMode != types.StreamModeOnDemand || aws.ToInt32(s.OpenShardCount) != 4 {
		t.Errorf("on-demand stream: mode %s, %d shards; want ON_DEMAND, 4", s.StreamModeDetails.StreamMode, aws.ToInt32(s.OpenShardCount))
	}
	if st := srv.Stats(); st.ClientErrors != 7 || st.Operations["unknown"] != 2 {
		t.Errorf("stats: %d client errors, %d unknown operations; want 7, 2", st.ClientErrors, st.Operations["unknown"])
	}
}
