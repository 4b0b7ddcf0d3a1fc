package tail_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/ldexport/ldexport/pkg/cmd/tail"
	"github.com/ldexport/ldexport/pkg/kinesistest"
	"github.com/ldexport/ldexport/pkg/kpl"
	"github.com/ldexport/ldexport/pkg/streamread"
)

func TestPrinterDeaggregates(t *testing.T) {
	agg := kpl.Aggregate([]kpl.UserRecord{
		{PartitionKey: "a", Data: []byte(`{"n":1}`)},
		{PartitionKey: "b", Data: []byte("{\n\"n\": 2\n}")},
		{PartitionKey: "a", Data: []byte(`{"n":3,"x":"LaunchDarkly"}`)},
	})
	corrupt := bytes.Clone(agg)
	corrupt[len(corrupt)-1] ^= 1
	recs := []streamread.Record{
		{ShardID: "s0", SequenceNumber: "1", Data: agg},
		{ShardID: "s0", SequenceNumber: "2", Data: []byte(`{"n":4}`)},
		{ShardID: "s1", SequenceNumber: "3", Data: corrupt},
	}
	tests := []struct {
		name             string
		p                tail.Printer
		want             []string
		corrupt, printed int
		stderrContains   string
	}{
		{name: "user records", want: []string{`{"n":1}`, `{"n":2}`, `{"n":3,"x":"LaunchDarkly"}`, `{"n":4}`}, corrupt: 1, printed: 4,
			stderrContains: "record 3 in s1: corrupt KPL aggregated record: MD5 checksum does not match: not printed"},
		{name: "grep matches user records", p: tail.Printer{Grep: []byte("LaunchDarkly")}, want: []string{`{"n":3,"x":"LaunchDarkly"}`}, corrupt: 1, printed: 1},
		{name: "max counts user records", p: tail.Printer{Max: 2}, want: []string{`{"n":1}`, `{"n":2}`}, printed: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			p := tt.p
			p.Out, p.ErrOut = &out, &errOut
			for _, r := range recs {
				if err := p.Print(r); err == streamread.ErrStop {
					break
				} else if err != nil {
					t.Fatal(err)
				}
			}
			if got := lines(out.String()); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("printed %q, want %q", got, tt.want)
			}
			if p.Corrupt != tt.corrupt || p.Printed != tt.printed {
				t.Fatalf("Corrupt %d Printed %d, want %d %d", p.Corrupt, p.Printed, tt.corrupt, tt.printed)
			}
			if !strings.Contains(errOut.String(), tt.stderrContains) {
				t.Fatalf("stderr %q, want it to contain %q", errOut.String(), tt.stderrContains)
			}
		})
	}
}

func TestPrinterRawPrintsTheKinesisRecord(t *testing.T) {
	agg := kpl.Aggregate([]kpl.UserRecord{{PartitionKey: "a", Data: []byte(`{"n":1}`)}, {PartitionKey: "a", Data: []byte(`{"n":2}`)}})
	var out, errOut bytes.Buffer
	p := tail.Printer{Out: &out, ErrOut: &errOut, Raw: true}
	if err := p.Print(streamread.Record{ShardID: "s0", SequenceNumber: "1", Data: agg}); err != nil {
		t.Fatal(err)
	}
	got, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(out.String(), "\n"))
	if err != nil || !bytes.Equal(got, agg) || p.Printed != 1 || strings.Count(out.String(), "\n") != 1 {
		t.Fatalf("--raw printed %q (%d records), want the stored record in base64 on one line", out.Bytes(), p.Printed)
	}
}

// A stream holding an aggregate, a plain record and a corrupt aggregate:
// tail prints the user records and the plain one, names the corrupt one on
// stderr and exits 1; --raw prints the three records as stored.
func TestTailDeaggregatesAgainstTheFake(t *testing.T) {
	srv := kinesistest.NewServer(kinesistest.Options{})
	defer srv.Close()
	if err := srv.CreateStream("agg", 1); err != nil {
		t.Fatal(err)
	}
	agg := kpl.Aggregate([]kpl.UserRecord{{PartitionKey: "a", Data: []byte(`{"n":1}`)}, {PartitionKey: "b", Data: []byte(`{"n":2}`)}})
	corrupt := bytes.Clone(agg)
	corrupt[6] ^= 0x10
	c := srv.NewClient()
	for _, d := range [][]byte{agg, []byte(`{"n":3}`), corrupt} {
		if _, err := c.PutRecord(context.Background(), &kinesis.PutRecordInput{StreamName: aws.String("agg"), PartitionKey: aws.String("k"), Data: d}); err != nil {
			t.Fatal(err)
		}
	}
	base := []string{"--config", filepath.Join(t.TempDir(), "c.yaml"), "--endpoint-url", srv.URL, "tail", "--stream", "agg"}

	out, stderr, code := run(t, base...)
	if got := strings.Join(lines(out), "|"); got != `{"n":1}|{"n":2}|{"n":3}` {
		t.Errorf("stdout %q", out)
	}
	if code != 1 || !strings.Contains(stderr, "corrupt KPL aggregated record: MD5 checksum does not match: not printed") ||
		!strings.Contains(stderr, "tail: 1 corrupt KPL aggregated records in stream agg were not printed") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}

	out, stderr, code = run(t, append(base, "--raw")...)
	raw := lines(out)
	if code != 0 || len(raw) != 3 || raw[0] != base64.StdEncoding.EncodeToString(agg) || raw[1] != `{"n":3}` || stderr != "" {
		t.Errorf("--raw: exit %d, %d lines, stderr %q", code, strings.Count(out, "\n"), stderr)
	}
}
