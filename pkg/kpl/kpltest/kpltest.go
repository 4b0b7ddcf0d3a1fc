// Package kpltest deaggregates Kinesis records with an independent
// implementation of the KPL format, the awslabs deaggregator (the npm package
// aws-kinesis-agg, pinned in tools/kinesis-agg), so tests and benchmarks check
// what pkg/kpl encodes against something it did not write.
//
// Under CI=true a missing Node.js or aws-kinesis-agg install fails the test;
// on a developer machine it skips with a message saying how to install it.
package kpltest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ldexport/ldexport/pkg/testtools"
)

// KinesisRecord is a record as Kinesis stored it.
type KinesisRecord struct {
	ShardID         string `json:"shardId,omitempty"`
	PartitionKey    string `json:"partitionKey"`
	ExplicitHashKey string `json:"explicitHashKey,omitempty"`
	Data            []byte `json:"data"`
}

// UserRecord is what the deaggregator found: a user record of an aggregate
// (Aggregated true), or a plain Kinesis record passed through.
type UserRecord struct {
	Record            int    `json:"record"` // index of its Kinesis record in the input
	ShardID           string `json:"shardId"`
	PartitionKey      string `json:"partitionKey"`
	ExplicitHashKey   string `json:"explicitHashKey"`
	SubSequenceNumber *int   `json:"subSequenceNumber"`
	Data              []byte `json:"data"`
}

// Aggregated reports whether u came out of an aggregated record.
func (u UserRecord) Aggregated() bool { return u.SubSequenceNumber != nil }

// script returns tools/kinesis-agg/deagg.js in the module that holds the
// working directory, checking that it can run.
func script() (node, path string, err error) {
	node, tools, err := testtools.Node("kinesis-agg", "aws-kinesis-agg")
	if err != nil {
		return "", "", err
	}
	return node, filepath.Join(tools, "deagg.js"), nil
}

// Deaggregate runs the awslabs deaggregator, checksums checked, over records.
// A corrupt aggregate is an error naming its index.
func Deaggregate(ctx context.Context, records []KinesisRecord) ([]UserRecord, error) {
	node, path, err := script()
	if err != nil {
		return nil, err
	}
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, r := range records {
		if err := enc.Encode(r); err != nil {
			return nil, err
		}
	}
	cmd := exec.CommandContext(ctx, node, path)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var out []UserRecord
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var decodeErr error
	for sc.Scan() {
		var u UserRecord
		if err := json.Unmarshal(sc.Bytes(), &u); err != nil && decodeErr == nil {
			decodeErr = fmt.Errorf("deaggregator output: %v", err)
		}
		out = append(out, u)
	}
	if err := sc.Err(); err != nil && decodeErr == nil {
		decodeErr = err
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("aws-kinesis-agg: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, decodeErr
}

// Require fails (under CI=true) or skips t when the deaggregator cannot run.
func Require(t testing.TB) {
	t.Helper()
	if _, _, err := script(); err != nil {
		testtools.Unavailable(t, "kpltest", err)
	}
}

// MustDeaggregate is Deaggregate for tests: it requires the deaggregator and
// fails t on an error.
func MustDeaggregate(t testing.TB, records []KinesisRecord) []UserRecord {
	t.Helper()
	Require(t)
	out, err := Deaggregate(context.Background(), records)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
