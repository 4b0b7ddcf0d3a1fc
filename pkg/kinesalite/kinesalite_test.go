package kinesalite

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

func TestStartCreatesStreamsAndReadsBack(t *testing.T) {
	e := Start(t, "pre:2")
	e.CreateStream(t, "later", 1)
	c := e.Client()
	ctx := context.Background()
	s, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("pre")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToInt32(s.StreamDescriptionSummary.OpenShardCount); got != 2 {
		t.Fatalf("open shards = %d, want 2", got)
	}
	var entries []types.PutRecordsRequestEntry
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		entries = append(entries, types.PutRecordsRequestEntry{Data: []byte(`{"k":"` + k + `"}`), PartitionKey: aws.String(k)})
	}
	if _, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("pre"), Records: entries}); err != nil {
		t.Fatal(err)
	}
	got := e.ReadAll(t, "pre")
	if len(got) != 5 {
		t.Fatalf("read %d records, want 5", len(got))
	}
	seen := map[string]bool{}
	for _, r := range got {
		seen[string(r.Data)] = true
	}
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		if !seen[`{"k":"`+k+`"}`] {
			t.Errorf("record %s not read back", k)
		}
	}
	if len(e.ReadAll(t, "later")) != 0 {
		t.Error("new stream is not empty")
	}
}
