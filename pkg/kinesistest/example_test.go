package kinesistest_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/ldexport/ldexport/pkg/awserr"
	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// A Script throttles the first request whole and fails the second record of
// the second one; later requests are answered as Kinesis would.
func ExampleScript() {
	srv := kinesistest.NewServer(kinesistest.Options{Script: func(c *kinesistest.Call) kinesistest.Reply {
		switch c.N {
		case 0:
			return kinesistest.Reply{ErrorCode: "ProvisionedThroughputExceededException", Message: "Rate exceeded"}
		case 1:
			return kinesistest.Reply{RecordErrors: map[int]string{1: "InternalFailure"}}
		}
		return kinesistest.Reply{}
	}})
	defer srv.Close()
	if err := srv.CreateStream("events", 1); err != nil {
		panic(err)
	}
	client := srv.NewClient()
	in := &kinesis.PutRecordsInput{StreamName: aws.String("events"), Records: []types.PutRecordsRequestEntry{
		{Data: []byte("a"), PartitionKey: aws.String("k")},
		{Data: []byte("b"), PartitionKey: aws.String("k")},
	}}
	for range 3 {
		out, err := client.PutRecords(context.Background(), in)
		if err != nil {
			fmt.Println(awserr.Short(err))
			continue
		}
		fmt.Println("failed records:", aws.ToInt32(out.FailedRecordCount))
	}
	fmt.Println("stored:", len(srv.Records("events")))
	// Output:
	// ProvisionedThroughputExceededException: Rate exceeded
	// failed records: 1
	// failed records: 0
	// stored: 3
}
