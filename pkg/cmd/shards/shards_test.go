package shards

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/golden"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/output"
)

func testFactory(format output.Format) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	ios, _, out, errOut := iostreams.Test()
	return &cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{Output: format}}, out, errOut
}

func TestNewCmdShardsFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		want     ShardsOptions
		wantCode int
		wantErr  string
	}{
		{name: "defaults", args: []string{"--events-per-month", "50M"}, want: ShardsOptions{EventsPerMonth: 50_000_000, PeakFactor: 1, AvgEventBytes: 1024, AggregateMaxBytes: 51_200}},
		{name: "aggregate", args: []string{"--events-per-month", "50M", "--aggregate", "--aggregate-max-bytes", "100k"}, want: ShardsOptions{EventsPerMonth: 50_000_000, PeakFactor: 1, AvgEventBytes: 1024, Aggregate: true, AggregateMaxBytes: 100_000}},
		{name: "aggregate max without aggregate", args: []string{"--events-per-month", "1", "--aggregate-max-bytes", "4096"}, wantCode: 2, wantErr: "--aggregate-max-bytes needs --aggregate"},
		{name: "aggregate max too small", args: []string{"--events-per-month", "1", "--aggregate", "--aggregate-max-bytes", "100"}, wantCode: 2, wantErr: "--aggregate-max-bytes: aggregate size 100 must be 1024 to"},
		{name: "aggregate max garbage", args: []string{"--events-per-month", "1", "--aggregate", "--aggregate-max-bytes", "big"}, wantCode: 2, wantErr: "--aggregate-max-bytes: "},
		{name: "all number forms", args: []string{"--events-per-month", "50_000_000", "--peak-factor", "2.5", "--avg-event-bytes", "2k"}, want: ShardsOptions{EventsPerMonth: 50_000_000, PeakFactor: 2.5, AvgEventBytes: 2000, AggregateMaxBytes: 51_200}},
		{name: "e notation", args: []string{"--events-per-month", "5e7"}, want: ShardsOptions{EventsPerMonth: 50_000_000, PeakFactor: 1, AvgEventBytes: 1024, AggregateMaxBytes: 51_200}},
		{name: "sample", args: []string{"--events-per-month", "1.5B", "--sample", "x.ndjson"}, want: ShardsOptions{EventsPerMonth: 1_500_000_000, PeakFactor: 1, AvgEventBytes: 1024, SamplePath: "x.ndjson", AggregateMaxBytes: 51_200}},
		{name: "missing events", args: nil, wantCode: 2, wantErr: "--events-per-month is required"},
		{name: "negative events", args: []string{"--events-per-month", "-1"}, wantCode: 2, wantErr: "--events-per-month: "},
		{name: "garbage events", args: []string{"--events-per-month", "lots"}, wantCode: 2, wantErr: "--events-per-month: "},
		{name: "NaN events", args: []string{"--events-per-month", "NaN"}, wantCode: 2, wantErr: "--events-per-month: "},
		{name: "Inf events", args: []string{"--events-per-month", "Inf"}, wantCode: 2, wantErr: "--events-per-month: "},
		{name: "overflowing events", args: []string{"--events-per-month", "99999999999999999999"}, wantCode: 2, wantErr: "--events-per-month: "},
		{name: "peak below one", args: []string{"--events-per-month", "1", "--peak-factor", "0.5"}, wantCode: 2, wantErr: "--peak-factor: "},
		{name: "negative peak", args: []string{"--events-per-month", "1", "--peak-factor", "-2"}, wantCode: 2, wantErr: "--peak-factor: "},
		{name: "NaN peak", args: []string{"--events-per-month", "1", "--peak-factor", "NaN"}, wantCode: 2, wantErr: "--peak-factor: "},
		{name: "infinite peak", args: []string{"--events-per-month", "1", "--peak-factor", "+Inf"}, wantCode: 2, wantErr: "--peak-factor: "},
		{name: "garbage peak", args: []string{"--events-per-month", "1", "--peak-factor", "x"}, wantCode: 2, wantErr: "--peak-factor: "},
		{name: "zero bytes", args: []string{"--events-per-month", "1", "--avg-event-bytes", "0"}, wantCode: 2, wantErr: "--avg-event-bytes: "},
		{name: "huge bytes", args: []string{"--events-per-month", "1", "--avg-event-bytes", "11M"}, wantCode: 2, wantErr: "--avg-event-bytes: "},
		{name: "bytes and sample", args: []string{"--events-per-month", "1", "--avg-event-bytes", "10", "--sample", "f"}, wantCode: 2, wantErr: "cannot be used together"},
		{name: "positional argument", args: []string{"50M"}, wantCode: 2, wantErr: "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory(output.Table)
			got, err := cmdtest.ParseArgs(f, NewCmdShards, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || cmdutil.ExitCode(err) != tt.wantCode {
					t.Fatalf("err = %v (exit %d), want exit %d containing %q", err, cmdutil.ExitCode(err), tt.wantCode, tt.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Output = output.Table // the global -o
			cmdtest.WantValues(t, got, &tt.want)
		})
	}
}

func TestShardsGolden(t *testing.T) {
	tests := []struct {
		golden string
		format output.Format
		args   []string
	}{
		{"shards/table.txt", output.Table, []string{"--events-per-month", "1.5B", "--peak-factor", "2"}},
		{"shards/shards.json", output.JSON, []string{"--events-per-month", "1.5B", "--peak-factor", "2"}},
		{"shards/table-records.txt", output.Table, []string{"--events-per-month", "50M", "--peak-factor", "60", "--avg-event-bytes", "100"}},
		{"shards/table-bytes.txt", output.Table, []string{"--events-per-month", "50M", "--peak-factor", "10", "--avg-event-bytes", "100k"}},
		{"shards/table-aggregate.txt", output.Table, []string{"--events-per-month", "25.92B", "--avg-event-bytes", "400", "--aggregate"}},
		{"shards/aggregate.json", output.JSON, []string{"--events-per-month", "25.92B", "--avg-event-bytes", "400", "--aggregate"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			f, out, _ := testFactory(tt.format)
			if err := cmdtest.Exec(f, NewCmdShards, tt.args...); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, "testdata/"+tt.golden, out.Bytes())
		})
	}
}

func TestShardsJSONKeys(t *testing.T) {
	f, out, _ := testFactory(output.JSON)
	if err := cmdtest.Exec(f, NewCmdShards, "--events-per-month", "50M"); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	want := []string{"eventsPerMonth", "peakFactor", "avgEventBytes", "peakEventsPerSecond", "baselineShards", "throughputShards", "recommendedShards"}
	if len(m) != len(want) {
		t.Errorf("keys = %v, want exactly %v", m, want)
	}
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
}

func TestShardsSample(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(strings.Repeat(strings.Repeat("x", 200_000)+"\n", 10)))
	_ = zw.Close()

	tests := []struct {
		name      string
		path      string
		wantBytes int64
		wantCode  int
		wantErr   string
	}{
		{name: "plain", path: write("plain.ndjson", []byte("{\"a\":1}\n\n{\"bb\":22}\n")), wantBytes: 8},
		{name: "gzip with long lines", path: write("big.ndjson.gz", gz.Bytes()), wantBytes: 200_000},
		{name: "missing", path: filepath.Join(dir, "nope.ndjson"), wantCode: 2, wantErr: "--sample: "},
		{name: "only blank lines", path: write("blank.ndjson", []byte("\n \n")), wantCode: 2, wantErr: "no events"},
		{name: "corrupt gzip", path: write("bad.gz", gz.Bytes()[:40]), wantCode: 2, wantErr: "bad.gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out, _ := testFactory(output.JSON)
			err := cmdtest.Exec(f, NewCmdShards, "--events-per-month", "50M", "--sample", tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || cmdutil.ExitCode(err) != tt.wantCode {
					t.Fatalf("err = %v (exit %d), want exit %d containing %q", err, cmdutil.ExitCode(err), tt.wantCode, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var r struct{ AvgEventBytes int64 }
			if err := json.Unmarshal(out.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			if r.AvgEventBytes != tt.wantBytes {
				t.Errorf("avgEventBytes = %d, want %d", r.AvgEventBytes, tt.wantBytes)
			}
		})
	}
}

func TestShardsOnDemandNote(t *testing.T) {
	tests := []struct {
		peak     string
		wantNote bool
	}{{"1", false}, {"3.5", false}, {"4", true}, {"10", true}}
	for _, tt := range tests {
		t.Run(tt.peak, func(t *testing.T) {
			f, out, _ := testFactory(output.Table)
			if err := cmdtest.Exec(f, NewCmdShards, "--events-per-month", "50M", "--peak-factor", tt.peak); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(out.String(), "on-demand capacity mode"); got != tt.wantNote {
				t.Errorf("on-demand note shown = %v, want %v:\n%s", got, tt.wantNote, out)
			}
		})
	}
}
