package eventgen

import (
	"encoding/json"
	"testing"
)

// BenchmarkAppend measures the generator with the default mix: bytes/s via
// SetBytes (mean line size) and events/s as a custom metric.
func BenchmarkAppend(b *testing.B) {
	g, err := New(Config{Seed: DefaultSeed, Project: "default", Environment: "production"})
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 256<<10)
	var total int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = g.appendEvent(buf)
		if len(buf) >= 192<<10 {
			total += int64(len(buf))
			buf = buf[:0]
		}
	}
	total += int64(len(buf))
	b.StopTimer()
	b.SetBytes(total / int64(b.N))
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// featureEvent mirrors what appendFeature writes, for the encoding/json
// comparison below.
type featureEvent struct {
	Kind         string            `json:"kind"`
	CreationDate int64             `json:"creationDate"`
	ContextKeys  map[string]string `json:"contextKeys"`
	Context      struct {
		Kind string `json:"kind"`
		Key  string `json:"key"`
		Name string `json:"name"`
	} `json:"context"`
	Key       string          `json:"key"`
	Value     json.RawMessage `json:"value"`
	Default   json.RawMessage `json:"default"`
	Version   int             `json:"version"`
	Variation int             `json:"variation"`
	Reason    struct {
		Kind      string `json:"kind"`
		RuleIndex int    `json:"ruleIndex"`
		RuleID    string `json:"ruleId"`
	} `json:"reason"`
}

type exportWrapper struct {
	Project     string       `json:"project"`
	Environment string       `json:"environment"`
	Event       featureEvent `json:"event"`
	Version     int          `json:"version"`
}

// BenchmarkEncodingJSONFeature encodes one feature event with encoding/json,
// to compare with BenchmarkAppendFeature: the reason this package appends
// bytes instead.
func BenchmarkEncodingJSONFeature(b *testing.B) {
	w := exportWrapper{Project: "default", Environment: "production", Version: 1}
	w.Event = featureEvent{Kind: "feature", CreationDate: 1767225600013, ContextKeys: map[string]string{"user": "user-c35336"},
		Key: "enable-onboarding-one-click", Value: json.RawMessage("true"), Default: json.RawMessage("false"), Version: 41}
	w.Event.Context.Kind, w.Event.Context.Key, w.Event.Context.Name = "user", "user-c35336", "Elena Novak"
	w.Event.Reason.Kind, w.Event.Reason.RuleIndex, w.Event.Reason.RuleID = "RULE_MATCH", 2, "cb0d15a2-86a0-4b52-634b-e74d8f513903"
	var n int
	for b.Loop() {
		w.Event.CreationDate++
		out, err := json.Marshal(&w)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.SetBytes(int64(n))
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAppendFeature is BenchmarkAppend restricted to feature events.
func BenchmarkAppendFeature(b *testing.B) {
	g, _ := New(Config{Seed: DefaultSeed, Kinds: []Kind{Feature}, Project: "default", Environment: "production"})
	buf := make([]byte, 0, 4096)
	var total int64
	for b.Loop() {
		buf = g.appendEvent(buf[:0])
		total += int64(len(buf))
	}
	b.SetBytes(total / int64(b.N))
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
