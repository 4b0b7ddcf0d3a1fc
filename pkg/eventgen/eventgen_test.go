package eventgen

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/golden"
)

func generate(t testing.TB, cfg Config, n int64) []byte {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := g.WriteN(context.Background(), &buf, n); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type wrapper struct {
	Project     *string         `json:"project"`
	Environment *string         `json:"environment"`
	Event       json.RawMessage `json:"event"`
	Version     *int            `json:"version"`
}

// decodeLines checks every line is one JSON object with the export wrapper
// and returns the events.
func decodeLines(t *testing.T, out []byte, project, env string) []map[string]any {
	t.Helper()
	var events []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		var w wrapper
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&w); err != nil {
			t.Fatalf("line %d: %v: %s", n, err, line)
		}
		if dec.More() {
			t.Fatalf("line %d: more than one JSON value", n)
		}
		if w.Project == nil || *w.Project != project || w.Environment == nil || *w.Environment != env || w.Version == nil || *w.Version != 1 {
			t.Fatalf("line %d: wrapper fields wrong: %s", n, line)
		}
		var ev map[string]any
		if err := json.Unmarshal(w.Event, &ev); err != nil {
			t.Fatalf("line %d: event is not an object: %v", n, err)
		}
		events = append(events, ev)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return events
}

func TestKindsAppearAndOnlyThose(t *testing.T) {
	tests := []struct {
		name  string
		kinds []Kind
		want  []Kind
	}{
		{"default mix (no index, no summary)", nil, []Kind{Feature, Custom, Identify}},
		{"contract kinds", []Kind{Feature, Custom, Identify, Summary}, []Kind{Feature, Custom, Identify, Summary}},
		{"one kind", []Kind{Summary}, []Kind{Summary}},
		{"all kinds", AllKinds, AllKinds},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := decodeLines(t, generate(t, Config{Seed: 7, Kinds: tt.kinds, Project: "p", Environment: "e"}, 2000), "p", "e")
			if len(events) != 2000 {
				t.Fatalf("got %d events, want 2000", len(events))
			}
			counts := map[Kind]int{}
			for _, ev := range events {
				k, _ := ev["kind"].(string)
				counts[Kind(k)]++
			}
			for _, k := range tt.want {
				if counts[k] == 0 {
					t.Errorf("kind %q never generated; counts %v", k, counts)
				}
			}
			if len(counts) != len(tt.want) {
				t.Errorf("generated kinds %v, want exactly %v", counts, tt.want)
			}
		})
	}
}

func TestDefaultMixIsMostlyFeature(t *testing.T) {
	events := decodeLines(t, generate(t, Config{Seed: 3, Project: "p", Environment: "e"}, 10000), "p", "e")
	counts := map[string]int{}
	for _, ev := range events {
		counts[ev["kind"].(string)]++
	}
	for k, pct := range DefaultMix {
		got := counts[string(k)] * 100 / len(events)
		if got < pct-3 || got > pct+3 {
			t.Errorf("%s: %d%% of events, want about %d%%", k, got, pct)
		}
	}
}

func has(ev map[string]any, fields ...string) []string {
	var missing []string
	for _, f := range fields {
		if _, ok := ev[f]; !ok {
			missing = append(missing, f)
		}
	}
	return missing
}

func TestEventFieldsByKind(t *testing.T) {
	events := decodeLines(t, generate(t, Config{Seed: 11, Kinds: AllKinds, Project: "p", Environment: "e"}, 5000), "p", "e")
	reasons := map[string]int{}
	valueTypes := map[string]int{}
	contextKinds := map[string]int{}
	var withData, withMetric int
	for i, ev := range events {
		kind := ev["kind"].(string)
		var required []string
		switch Kind(kind) {
		case Feature, Debug:
			required = []string{"creationDate", "contextKeys", "context", "key", "value", "default", "version", "variation", "reason"}
		case Custom:
			required = []string{"creationDate", "key", "contextKeys"}
		case Identify, Index:
			required = []string{"creationDate", "context"}
		case Summary:
			required = []string{"startDate", "endDate", "features"}
		case Click:
			required = []string{"creationDate", "key", "contextKeys", "url", "selector"}
		case Pageview:
			required = []string{"creationDate", "key", "contextKeys", "url"}
		default:
			t.Fatalf("event %d: unexpected kind %q", i, kind)
		}
		if m := has(ev, required...); m != nil {
			t.Fatalf("event %d (%s) lacks %v: %v", i, kind, m, ev)
		}
		if ck, ok := ev["contextKeys"].(map[string]any); ok {
			if k, _ := ck["user"].(string); !strings.HasPrefix(k, "user-") && !strings.HasPrefix(k, "anon-") {
				t.Errorf("event %d: contextKeys.user = %q", i, k)
			}
		}
		if c, ok := ev["context"].(map[string]any); ok {
			contextKinds[c["kind"].(string)]++
			if c["kind"] == "multi" {
				if m := has(c, "user"); m != nil {
					t.Errorf("event %d: multi context without user: %v", i, c)
				}
			} else if m := has(c, "key"); m != nil {
				t.Errorf("event %d: context without key: %v", i, c)
			}
		}
		switch Kind(kind) {
		case Feature:
			r := ev["reason"].(map[string]any)
			reasons[r["kind"].(string)]++
			if r["kind"] == "RULE_MATCH" {
				if m := has(r, "ruleIndex", "ruleId"); m != nil {
					t.Errorf("event %d: RULE_MATCH lacks %v", i, m)
				}
			}
			switch ev["value"].(type) {
			case bool:
				valueTypes["bool"]++
			case string:
				valueTypes["string"]++
			case float64:
				valueTypes["number"]++
			case map[string]any:
				valueTypes["json"]++
			}
		case Custom:
			if _, ok := ev["data"]; ok {
				withData++
			}
			if _, ok := ev["metricValue"].(float64); ok {
				withMetric++
			}
		case Summary:
			if ev["startDate"].(float64) >= ev["endDate"].(float64) {
				t.Errorf("event %d: startDate not before endDate", i)
			}
			features := ev["features"].(map[string]any)
			if len(features) == 0 {
				t.Errorf("event %d: summary without features", i)
			}
			for key, f := range features {
				counters, _ := f.(map[string]any)["counters"].([]any)
				if len(counters) == 0 {
					t.Errorf("event %d: %s has no counters", i, key)
				}
				for _, c := range counters {
					c := c.(map[string]any)
					if c["unknown"] == true {
						if m := has(c, "value", "count"); m != nil {
							t.Errorf("event %d: unknown counter lacks %v", i, m)
						}
					} else if m := has(c, "value", "version", "count", "variation"); m != nil {
						t.Errorf("event %d: counter lacks %v", i, m)
					}
				}
			}
		}
	}
	for _, r := range []string{"FALLTHROUGH", "RULE_MATCH", "TARGET_MATCH", "OFF", "PREREQUISITE_FAILED"} {
		if reasons[r] == 0 {
			t.Errorf("reason %s never generated: %v", r, reasons)
		}
	}
	for _, vt := range []string{"bool", "string", "number", "json"} {
		if valueTypes[vt] == 0 {
			t.Errorf("no %s flag values: %v", vt, valueTypes)
		}
	}
	if contextKinds["user"] == 0 || contextKinds["multi"] == 0 {
		t.Errorf("want single and multi-kind contexts, got %v", contextKinds)
	}
	if withData == 0 || withMetric == 0 {
		t.Errorf("custom events: %d with data, %d with metricValue; want some of each", withData, withMetric)
	}
}

func TestCreationDatesStartAtStartAndNeverGoBack(t *testing.T) {
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	events := decodeLines(t, generate(t, Config{Seed: 5, Kinds: []Kind{Feature}, Start: start, Project: "p", Environment: "e"}, 1000), "p", "e")
	prev := float64(start.UnixMilli())
	for i, ev := range events {
		d := ev["creationDate"].(float64)
		if d < prev || d > float64(start.Add(time.Minute).UnixMilli()) {
			t.Fatalf("event %d: creationDate %v, previous %v", i, d, prev)
		}
		prev = d
	}
}

func TestDeterminism(t *testing.T) {
	cfg := Config{Seed: 99, Project: "default", Environment: "production"}
	a := generate(t, cfg, 5000)
	b := generate(t, cfg, 5000)
	if !bytes.Equal(a, b) {
		t.Fatal("same seed gave different output")
	}
	short := generate(t, cfg, 100)
	if !bytes.HasPrefix(a, short) {
		t.Error("the first 100 events of a 5000-event run differ from a 100-event run")
	}
	cfg.Seed = 100
	if c := generate(t, cfg, 5000); bytes.Equal(a[:1000], c[:1000]) {
		t.Error("different seeds gave the same output")
	}
}

func TestProjectAndEnvironmentAreEscaped(t *testing.T) {
	p, e := `we"ird\proj`, "env\nwith\u2028newlines"
	decodeLines(t, generate(t, Config{Seed: 1, Project: p, Environment: e}, 50), p, e)
}

func TestSizeDistribution(t *testing.T) {
	out := generate(t, Config{Seed: DefaultSeed, Project: "default", Environment: "production"}, 10000)
	lines := bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n"))
	minLen, maxLen, total := 1<<30, 0, 0
	for _, l := range lines {
		minLen, maxLen, total = min(minLen, len(l)), max(maxLen, len(l)), total+len(l)
	}
	mean := total / len(lines)
	t.Logf("10000 events: min %d B, max %d B, mean %d B", minLen, maxLen, mean)
	if minLen < 150 || maxLen > 8192 || mean < 300 || mean > 800 {
		t.Errorf("sizes min %d, max %d, mean %d; want min >= 150, max <= 8192, mean 300..800", minLen, maxLen, mean)
	}
}

func TestParseKinds(t *testing.T) {
	tests := []struct {
		in      string
		want    []Kind
		wantErr string
	}{
		{in: "feature,custom,identify,summary", want: []Kind{Feature, Custom, Identify, Summary}},
		{in: " Feature , summary,feature ", want: []Kind{Feature, Summary}},
		{in: "pageview", want: []Kind{Pageview}},
		{in: "feature,bogus", wantErr: `unknown event kind "bogus" (valid: feature, debug, custom, identify, index, summary, click, pageview)`},
		{in: " , ", wantErr: "no event kind given"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseKinds(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || strings.Join(kindStrings(got), ",") != strings.Join(kindStrings(tt.want), ",") {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func kindStrings(ks []Kind) []string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return s
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("disk full")
}

func TestWriteNStopsOnWriteErrorAndCancel(t *testing.T) {
	g, _ := New(Config{Seed: 1})
	w := &failingWriter{}
	if _, err := g.WriteN(context.Background(), w, 100000); err == nil || err.Error() != "disk full" || w.n != 1 {
		t.Errorf("err = %v after %d writes; want disk full after 1", err, w.n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.WriteN(ctx, io.Discard, 100000); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestNewRejectsUnknownKind(t *testing.T) {
	if _, err := New(Config{Kinds: []Kind{"nope"}}); err == nil {
		t.Error("New accepted an unknown kind")
	}
}

// TestSampleGolden keeps testdata/events/sample.ndjson: 20 events of every
// kind with seed 42. Rewrite with `go test ./pkg/eventgen -update`.
func TestSampleGolden(t *testing.T) {
	// `ldexport gen` writes IDs derived from its default keys.
	project, _ := projectIDFor("default")
	env, _ := environmentIDFor("default", "production")
	golden.Assert(t, "testdata/events/sample.ndjson", generate(t, Config{Seed: 42, Kinds: AllKinds, Project: project, Environment: env}, 20))
}

func TestExportIDs(t *testing.T) {
	const given = "5744c96707c9900708000004"
	if id, derived := projectIDFor(given); id != given || derived {
		t.Fatalf("projectIDFor(ID) = %q, %v: want it as is", id, derived)
	}
	p1, d1 := projectIDFor("default")
	p2, _ := projectIDFor("default")
	if !d1 || p1 != p2 || !isID(p1) {
		t.Fatalf("projectIDFor(key) = %q, %v: want a stable derived 24-hex ID", p1, d1)
	}
	e1, _ := environmentIDFor("default", "production")
	e2, _ := environmentIDFor("mobile", "production")
	if !isID(e1) || e1 == e2 || e1 == p1 {
		t.Fatalf("environment IDs %q %q should differ by project and from the project's", e1, e2)
	}
	for _, s := range []string{"", "5744C96707C9900708000004", "5744c96707c990070800000", "zz44c96707c9900708000004"} {
		if isID(s) {
			t.Errorf("isID(%q) = true", s)
		}
	}
}
