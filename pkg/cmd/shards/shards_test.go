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
	cmdtest.RunFlagTests(t, NewCmdShards, []cmdtest.FlagTest[ShardsOptions]{
		{Name: "defaults", Args: "--events-per-month 50M", Want: ShardsOptions{EventsPerMonth: 50_000_000, PeakFactor: 1, AvgEventBytes: 1024, AggregateMaxBytes: 51_200}},
		{Name: "aggregate", Args: "--events-per-month 50M --aggregate --aggregate-max-bytes 100k", Want: ShardsOptions{EventsPerMonth: 50_000_000, PeakFactor: 1, AvgEventBytes: 1024, Aggregate: true, AggregateMaxBytes: 100_000}},
		{Name: "aggregate max without aggregate", Args: "--events-per-month 1 --aggregate-max-bytes 4096", WantErr: "--aggregate-max-bytes needs --aggregate"},
		{Name: "aggregate max too small", Args: "--events-per-month 1 --aggregate --aggregate-max-bytes 100", WantErr: "--aggregate-max-bytes: aggregate size 100 must be 1024 to"},
		{Name: "aggregate max garbage", Args: "--events-per-month 1 --aggregate --aggregate-max-bytes big", WantErr: "--aggregate-max-bytes: "},
		{Name: "all number forms", Args: "--events-per-month 50_000_000 --peak-factor 2.5 --avg-event-bytes 2k", Want: ShardsOptions{EventsPerMonth: 50_000_000, PeakFactor: 2.5, AvgEventBytes: 2000, AggregateMaxBytes: 51_200}},
		{Name: "e notation", Args: "--events-per-month 5e7", Want: ShardsOptions{EventsPerMonth: 50_000_000, PeakFactor: 1, AvgEventBytes: 1024, AggregateMaxBytes: 51_200}},
		{Name: "sample", Args: "--events-per-month 1.5B --sample x.ndjson", Want: ShardsOptions{EventsPerMonth: 1_500_000_000, PeakFactor: 1, AvgEventBytes: 1024, SamplePath: "x.ndjson", AggregateMaxBytes: 51_200}},
		{Name: "missing events", Args: "", WantErr: "--events-per-month is required"},
		{Name: "negative events", Args: "--events-per-month -1", WantErr: "--events-per-month: "},
		{Name: "garbage events", Args: "--events-per-month lots", WantErr: "--events-per-month: "},
		{Name: "NaN events", Args: "--events-per-month NaN", WantErr: "--events-per-month: "},
		{Name: "Inf events", Args: "--events-per-month Inf", WantErr: "--events-per-month: "},
		{Name: "overflowing events", Args: "--events-per-month 99999999999999999999", WantErr: "--events-per-month: "},
		{Name: "peak below one", Args: "--events-per-month 1 --peak-factor 0.5", WantErr: "--peak-factor: "},
		{Name: "negative peak", Args: "--events-per-month 1 --peak-factor -2", WantErr: "--peak-factor: "},
		{Name: "NaN peak", Args: "--events-per-month 1 --peak-factor NaN", WantErr: "--peak-factor: "},
		{Name: "infinite peak", Args: "--events-per-month 1 --peak-factor +Inf", WantErr: "--peak-factor: "},
		{Name: "garbage peak", Args: "--events-per-month 1 --peak-factor x", WantErr: "--peak-factor: "},
		{Name: "zero bytes", Args: "--events-per-month 1 --avg-event-bytes 0", WantErr: "--avg-event-bytes: "},
		{Name: "huge bytes", Args: "--events-per-month 1 --avg-event-bytes 11M", WantErr: "--avg-event-bytes: "},
		{Name: "bytes and sample", Args: "--events-per-month 1 --avg-event-bytes 10 --sample f", WantErr: "cannot be used together"},
		{Name: "positional argument", Args: "50M", WantErr: "unexpected argument"},
	})
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
				cmdtest.WantError(t, err, tt.wantCode, tt.wantErr)
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
