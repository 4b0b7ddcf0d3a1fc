// Command seqput is the baseline for the send benchmark: a plain sequential
// PutRecords loop written with the AWS SDK for Go v2 and its default client,
// 500 records a call, random partition keys. It reads NDJSON from a file and
// prints "records N seconds S records/s R".
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/ldexport/ldexport/pkg/sender"
)

func main() {
	endpoint := flag.String("endpoint", "", "Kinesis endpoint URL")
	stream := flag.String("stream", "sink", "stream name")
	file := flag.String("file", "", "NDJSON input")
	noRetry := flag.Bool("no-retry", false, "no SDK retries: print each failed request's error and stop")
	plainBody := flag.Bool("plain-body", false, "use ldexport's HTTP client (request bodies without WriteTo), to compare")
	flag.Parse()
	c := kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(*endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, func(o *kinesis.Options) {
		if *plainBody {
			sender.ClientOptions(1)(o)
			if !*noRetry {
				o.Retryer = retry.NewStandard()
				o.RetryMaxAttempts = 3
			}
		}
		if *noRetry {
			o.Retryer = aws.NopRetryer{}
		}
	})
	f, err := os.Open(*file)
	if err != nil {
		log.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var batch []types.PutRecordsRequestEntry
	total := 0
	start := time.Now()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		out, err := c.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: stream, Records: batch})
		if err != nil {
			log.Fatal(err)
		}
		if n := aws.ToInt32(out.FailedRecordCount); n > 0 {
			log.Fatalf("%d records failed", n)
		}
		total += len(batch)
		batch = batch[:0]
	}
	key := make([]byte, 16)
	for sc.Scan() {
		rand.Read(key)
		batch = append(batch, types.PutRecordsRequestEntry{Data: append([]byte(nil), sc.Bytes()...), PartitionKey: aws.String(hex.EncodeToString(key))})
		if len(batch) == 500 {
			flush()
		}
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	flush()
	s := time.Since(start).Seconds()
	fmt.Printf("records %d seconds %.2f records/s %.0f\n", total, s, float64(total)/s)
}
