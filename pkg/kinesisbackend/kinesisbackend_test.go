package kinesisbackend_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/ldexport/ldexport/pkg/kinesalite"
	"github.com/ldexport/ldexport/pkg/kinesisbackend"
)

// Each backend starts with the streams asked for, ACTIVE, and its Endpoint
// and Client reach the same Kinesis.
func TestEachStartsTheStreams(t *testing.T) {
	var ran []string
	kinesisbackend.Each(t, func(t *testing.T, b kinesisbackend.Backend) {
		ran = append(ran, b.Name)
		k := b.Start(t, "one:1", "three:3")
		ctx := context.Background()
		for stream, want := range map[string]int32{"one": 1, "three": 3} {
			sum, err := k.Client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(stream)})
			if err != nil {
				t.Fatal(err)
			}
			if d := sum.StreamDescriptionSummary; aws.ToInt32(d.OpenShardCount) != want || d.StreamStatus != "ACTIVE" {
				t.Errorf("%s: %d open shards, %s; want %d, ACTIVE", stream, aws.ToInt32(d.OpenShardCount), d.StreamStatus, want)
			}
		}
		if _, err := kinesalite.NewClient(k.Endpoint).PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("one"), PartitionKey: aws.String("k"), Data: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		if recs := kinesalite.ReadStream(t, k.Client, "one"); len(recs) != 1 || string(recs[0].Data) != "x" {
			t.Errorf("read back %v through Client after a put at Endpoint", recs)
		}
	})
	if strings.Join(ran, " ") != "kinesistest kinesalite" {
		t.Errorf("ran on %v", ran)
	}
}
