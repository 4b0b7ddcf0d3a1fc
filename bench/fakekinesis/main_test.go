package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/ldexport/ldexport/pkg/kinesistest"
)

func TestRunServesUntilStdinCloses(t *testing.T) {
	statsPath := filepath.Join(t.TempDir(), "stats.json")
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"--streams", "a:2,b", "--fault-record", "1", "--stats", statsPath}, stdinR, stdoutW, &stderr, nil)
		stdoutW.Close()
	}()
	line, err := bufio.NewReader(stdoutR).ReadString('\n')
	if err != nil {
		t.Fatalf("no ready line: %v; stderr %s", err, stderr.String())
	}
	endpoint, ok := strings.CutPrefix(strings.TrimSpace(line), "ready ")
	if !ok || !strings.HasPrefix(endpoint, "http://127.0.0.1:") {
		t.Fatalf("first line %q, want ready http://127.0.0.1:PORT", line)
	}
	client := kinesis.New(kinesis.Options{
		BaseEndpoint: aws.String(endpoint), Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", ""),
	})
	out, err := client.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String("a"), Records: []types.PutRecordsRequestEntry{
		{Data: []byte("x"), PartitionKey: aws.String("k")}, {Data: []byte("y"), PartitionKey: aws.String("l")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.FailedRecordCount) != 2 {
		t.Errorf("FailedRecordCount %d with --fault-record 1, want 2", aws.ToInt32(out.FailedRecordCount))
	}
	sum, err := client.DescribeStreamSummary(context.Background(), &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("b")})
	if err != nil || aws.ToInt32(sum.StreamDescriptionSummary.OpenShardCount) != 1 {
		t.Errorf("stream b: %v, %+v", err, sum)
	}
	stdinW.Close()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d; stderr %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop when stdin closed")
	}
	raw, err := os.ReadFile(statsPath)
	if err != nil {
		t.Fatal(err)
	}
	var st kinesistest.Stats
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	if st.RecordsReceived != 2 || st.Faults.RecordFailures != 2 || st.Operations["PutRecords"] != 1 {
		t.Errorf("stats %s", raw)
	}
}

func TestRunFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--fault-500", "1.5"}, "--fault-500: 1.5 is not a probability"},
		{[]string{"--streams", "a:x"}, `--streams: bad entry "a:x"`},
		{[]string{"--streams", ":2"}, "empty stream name"},
		{[]string{"--streams", "a:1,a:2"}, "already exists"},
		{[]string{"--max-record-kib", "10"}, "outside 1024..10240"},
		{[]string{"--port", "70000"}, "not a port number"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--no-such-flag"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, strings.NewReader(""), &stdout, &stderr, nil)
			if code != 2 || !strings.Contains(stderr.String(), tt.want) || stdout.Len() != 0 {
				t.Errorf("exit %d, stderr %q, stdout %q; want 2 and %q", code, stderr.String(), stdout.String(), tt.want)
			}
		})
	}
}
