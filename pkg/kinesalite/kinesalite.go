// Package kinesalite starts the project's local Kinesis emulator (the npm
// package kinesalite, pinned in tools/kinesalite) for integration tests, in
// the spirit of net/http/httptest: each test gets its own in-memory emulator
// on a free 127.0.0.1 port, stopped when the test ends.
//
// Under CI=true a missing Node.js or kinesalite install fails the test; on a
// developer machine it skips with a message saying how to install it.
package kinesalite

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/ldexport/ldexport/pkg/testtools"
)

// Emulator is one running kinesalite.
type Emulator struct {
	// Endpoint is the emulator's base URL, http://127.0.0.1:PORT.
	Endpoint string
	cmd      *exec.Cmd
	stdin    io.WriteCloser
}

// Start launches an emulator with the given streams pre-created and ACTIVE
// (each "name:shards", e.g. "ld-events:2") and stops it when t ends.
func Start(t testing.TB, streams ...string) *Emulator {
	t.Helper()
	e, err := start(streams)
	if err != nil {
		testtools.Unavailable(t, "kinesalite", err)
	}
	t.Cleanup(e.Stop)
	return e
}

func start(streams []string) (*Emulator, error) {
	node, tools, err := testtools.Node("kinesalite", "kinesalite")
	if err != nil {
		return nil, err
	}
	args := []string{filepath.Join(tools, "launcher.js"), "--port", "0"}
	if len(streams) > 0 {
		args = append(args, "--streams", strings.Join(streams, ","))
	}
	cmd := exec.Command(node, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	e := &Emulator{cmd: cmd, stdin: stdin}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if url, ok := strings.CutPrefix(sc.Text(), "ready "); ok {
				ready <- url
			}
		}
		close(ready)
	}()
	select {
	case url, ok := <-ready:
		if !ok {
			e.Stop()
			return nil, errors.New("the launcher exited before it was ready")
		}
		e.Endpoint = url
		return e, nil
	case <-time.After(30 * time.Second):
		e.Stop()
		return nil, errors.New("not ready after 30s")
	}
}

// Stop ends the emulator and waits for it.
func (e *Emulator) Stop() {
	_ = e.stdin.Close()
	if e.cmd.Process != nil {
		_ = e.cmd.Process.Kill()
	}
	_ = e.cmd.Wait()
}

// Client returns an SDK Kinesis client for the emulator, with placeholder credentials.
func (e *Emulator) Client() *kinesis.Client { return NewClient(e.Endpoint) }

// NewClient returns an SDK Kinesis client for a local emulator at endpoint,
// with placeholder credentials.
func NewClient(endpoint string) *kinesis.Client {
	return kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// CreateStream creates a stream and waits until it is ACTIVE.
func (e *Emulator) CreateStream(t testing.TB, name string, shards int32) {
	t.Helper()
	ctx := context.Background()
	c := e.Client()
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shards)}); err != nil {
		t.Fatalf("CreateStream %s: %v", name, err)
	}
	e.WaitActive(t, name)
}

// WaitActive waits until a stream is ACTIVE: created, or done resharding.
func (e *Emulator) WaitActive(t testing.TB, name string) {
	t.Helper()
	w := kinesis.NewStreamExistsWaiter(e.Client(), func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay = 10 * time.Millisecond
		o.MaxDelay = 100 * time.Millisecond
	})
	if err := w.Wait(context.Background(), &kinesis.DescribeStreamInput{StreamName: aws.String(name)}, 30*time.Second); err != nil {
		t.Fatalf("waiting for stream %s to be ACTIVE: %v", name, err)
	}
}

// Record is one record read back from a stream.
type Record struct {
	ShardID        string
	SequenceNumber string
	PartitionKey   string
	Data           []byte
}

// ReadAll reads every record of every shard of stream from TRIM_HORIZON.
func (e *Emulator) ReadAll(t testing.TB, stream string) []Record {
	t.Helper()
	return ReadStream(t, e.Client(), stream)
}

// ReadStream reads every record of every shard, open or closed, of stream
// from TRIM_HORIZON, with any Kinesis client (kinesis-mock's too).
func ReadStream(t testing.TB, c *kinesis.Client, stream string) []Record {
	t.Helper()
	ctx := context.Background()
	var out []Record
	shards, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatalf("ListShards %s: %v", stream, err)
	}
	for _, sh := range shards.Shards {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
			StreamName: aws.String(stream), ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			t.Fatalf("GetShardIterator %s: %v", aws.ToString(sh.ShardId), err)
		}
		iter := it.ShardIterator
		for iter != nil {
			res, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(10000)})
			if err != nil {
				t.Fatalf("GetRecords %s: %v", aws.ToString(sh.ShardId), err)
			}
			for _, r := range res.Records {
				out = append(out, Record{ShardID: aws.ToString(sh.ShardId), SequenceNumber: aws.ToString(r.SequenceNumber), PartitionKey: aws.ToString(r.PartitionKey), Data: r.Data})
			}
			if len(res.Records) == 0 { // drained
				break
			}
			iter = res.NextShardIterator
		}
	}
	return out
}
