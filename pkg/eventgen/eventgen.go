// Package eventgen generates realistic LaunchDarkly Data Export events as
// NDJSON: each line is the export wrapper
// {"project":P,"environment":E,"event":{...},"version":1} around a feature,
// debug, custom, identify, index, summary, click or pageview event.
//
// Output is a pure function of the Config: the same seed, kinds, project,
// environment and start time give byte-identical output, and the first N
// events of a longer run are the N events of a shorter one. Times come from
// Config.Start (default DefaultStart), never from the clock.
//
// Lines are built by appending pre-encoded fragments to a byte slice, with
// JSON keys in a fixed order; this is several times faster than
// encoding/json on structs (see BenchmarkEncodingJSONFeature).
package eventgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Kind is the kind of an exported event (event.kind).
type Kind string

// The event kinds LaunchDarkly Data Export emits.
const (
	Feature  Kind = "feature"
	Debug    Kind = "debug"
	Custom   Kind = "custom"
	Identify Kind = "identify"
	Index    Kind = "index"
	Summary  Kind = "summary"
	Click    Kind = "click"
	Pageview Kind = "pageview"
)

// AllKinds lists every kind the generator knows, in a fixed order.
var AllKinds = []Kind{Feature, Debug, Custom, Identify, Index, Summary, Click, Pageview}

// DefaultMix is the share, in percent, of each kind when Config.Kinds is
// empty: mostly feature events, as a real export stream is. index and
// summary events are left out: LaunchDarkly exports them only on request.
var DefaultMix = map[Kind]int{Feature: 80, Custom: 12, Identify: 8}

// DefaultSeed is the seed the ldexport gen command uses when none is given.
const DefaultSeed = 1

// DefaultStart is the time of the first event when Config.Start is zero:
// 2026-01-01T00:00:00Z.
var DefaultStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// baseMillis anchors attributes (such as a user's createdAt) that must not
// depend on Config.Start.
var baseMillis = DefaultStart.UnixMilli()

// Config says what to generate.
type Config struct {
	Seed        uint64
	Kinds       []Kind // empty: DefaultMix; otherwise each listed kind equally often
	Project     string
	Environment string
	Start       time.Time // creationDate of the first event; zero: DefaultStart
}

// ParseKinds parses a comma-separated list of kinds such as
// "feature,custom"; blanks around names are ignored and duplicates dropped.
// An unknown name is an error that names it and the valid ones.
func ParseKinds(s string) ([]Kind, error) {
	var kinds []Kind
	seen := map[Kind]bool{}
	for part := range strings.SplitSeq(s, ",") {
		name := Kind(strings.ToLower(strings.TrimSpace(part)))
		if name == "" {
			continue
		}
		if !isKind(name) {
			return nil, fmt.Errorf("unknown event kind %q (valid: %s)", string(name), kindList())
		}
		if !seen[name] {
			seen[name] = true
			kinds = append(kinds, name)
		}
	}
	if len(kinds) == 0 {
		return nil, fmt.Errorf("no event kind given (valid: %s)", kindList())
	}
	return kinds, nil
}

func isKind(k Kind) bool {
	for _, x := range AllKinds {
		if x == k {
			return true
		}
	}
	return false
}

func kindList() string {
	names := make([]string, len(AllKinds))
	for i, k := range AllKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// rng is a PCG generator with a cheap bounded draw. The draw maps the top 32
// bits onto [0,n) by multiplication: a bias below n/2^32, irrelevant here,
// and no rejection loop, so every event costs the same number of draws.
type rng struct{ pcg *rand.PCG }

func (r *rng) intn(n int) int {
	return int(((r.pcg.Uint64() >> 32) * uint64(n)) >> 32)
}

// Generator produces events one line at a time. It is not safe for
// concurrent use.
type Generator struct {
	r      *rng
	cat    *catalog
	prefix []byte // {"project":..,"environment":..,"event":
	kinds  []Kind // one entry per percent (default mix) or per kind
	nowMS  int64
}

// New returns a Generator for cfg. Project and environment are JSON-escaped,
// so any string is safe.
func New(cfg Config) (*Generator, error) {
	for _, k := range cfg.Kinds {
		if !isKind(k) {
			return nil, fmt.Errorf("unknown event kind %q (valid: %s)", string(k), kindList())
		}
	}
	start := cfg.Start
	if start.IsZero() {
		start = DefaultStart
	}
	// Two streams from one seed: the catalog and the events. The catalog
	// stream is fixed-length, so it does not shift the event stream.
	catRNG := &rng{rand.NewPCG(cfg.Seed, 0x6c64_6578_706f_7274)}
	g := &Generator{
		r:     &rng{rand.NewPCG(cfg.Seed, 0x6576_656e_7467_656e)},
		cat:   newCatalog(catRNG),
		nowMS: start.UnixMilli(),
	}
	p, _ := json.Marshal(cfg.Project)
	e, _ := json.Marshal(cfg.Environment)
	g.prefix = append(append(append(append(append(g.prefix, `{"project":`...), p...), `,"environment":`...), e...), `,"event":`...)
	if len(cfg.Kinds) == 0 {
		for _, k := range AllKinds {
			for range DefaultMix[k] {
				g.kinds = append(g.kinds, k)
			}
		}
	} else {
		g.kinds = append(g.kinds, cfg.Kinds...)
	}
	return g, nil
}

// appendEvent appends one event line, ending in '\n', to dst and returns it.
func (g *Generator) appendEvent(dst []byte) []byte {
	g.nowMS += int64(g.r.intn(25))
	dst = append(dst, g.prefix...)
	switch k := g.kinds[g.r.intn(len(g.kinds))]; k {
	case Feature, Debug:
		dst = g.appendFeature(dst, string(k))
	case Custom:
		dst = g.appendCustom(dst)
	case Identify, Index:
		dst = g.appendContextEvent(dst, string(k))
	case Summary:
		dst = g.appendSummary(dst)
	case Click, Pageview:
		dst = g.appendPage(dst, string(k))
	}
	return append(dst, `,"version":1}`+"\n"...)
}

// WriteN writes n event lines to w through a 256 KiB buffer and returns the
// bytes written. It stops early when ctx is done (returning ctx.Err()) or a
// write fails.
func (g *Generator) WriteN(ctx context.Context, w io.Writer, n int64) (int64, error) {
	const flushAt = 192 << 10
	buf := make([]byte, 0, 256<<10)
	var written int64
	for i := int64(0); i < n; i++ {
		buf = g.appendEvent(buf)
		if len(buf) >= flushAt {
			if err := ctx.Err(); err != nil {
				return written, err
			}
			m, err := w.Write(buf)
			written += int64(m)
			if err != nil {
				return written, err
			}
			buf = buf[:0]
		}
	}
	if len(buf) > 0 {
		m, err := w.Write(buf)
		written += int64(m)
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

func (g *Generator) appendKindDate(dst []byte, kind string) []byte {
	dst = append(dst, `{"kind":"`...)
	dst = append(dst, kind...)
	dst = append(dst, `","creationDate":`...)
	return strconv.AppendInt(dst, g.nowMS, 10)
}

// context draws the context of one event: mostly a single user, sometimes a
// multi-kind context with an organization and/or a device.
type eventContext struct {
	u   *user
	org *keyed
	dev *keyed
}

func (g *Generator) drawContext() eventContext {
	c := eventContext{u: &g.cat.users[g.r.intn(len(g.cat.users))]}
	switch n := g.r.intn(100); {
	case n < 70:
	case n < 90:
		c.org = &g.cat.orgs[g.r.intn(len(g.cat.orgs))]
	case n < 97:
		c.dev = &g.cat.devices[g.r.intn(len(g.cat.devices))]
	default:
		c.org = &g.cat.orgs[g.r.intn(len(g.cat.orgs))]
		c.dev = &g.cat.devices[g.r.intn(len(g.cat.devices))]
	}
	return c
}

func appendContextKeys(dst []byte, c eventContext) []byte {
	dst = append(dst, `,"contextKeys":{"user":"`...)
	dst = append(dst, c.u.key...)
	if c.org != nil {
		dst = append(dst, `","organization":"`...)
		dst = append(dst, c.org.key...)
	}
	if c.dev != nil {
		dst = append(dst, `","device":"`...)
		dst = append(dst, c.dev.key...)
	}
	return append(dst, `"}`...)
}

func appendContext(dst []byte, c eventContext, rich bool) []byte {
	userInner := c.u.inner
	if rich {
		userInner = c.u.rich
	}
	if c.org == nil && c.dev == nil {
		dst = append(dst, `,"context":{"kind":"user",`...)
		dst = append(dst, userInner...)
		return append(dst, '}')
	}
	dst = append(dst, `,"context":{"kind":"multi","user":{`...)
	dst = append(dst, userInner...)
	if c.org != nil {
		dst = append(dst, `},"organization":{`...)
		dst = append(dst, c.org.inner...)
	}
	if c.dev != nil {
		dst = append(dst, `},"device":{`...)
		dst = append(dst, c.dev.inner...)
	}
	return append(dst, `}}`...)
}

func (g *Generator) appendFeature(dst []byte, kind string) []byte {
	f := &g.cat.flags[g.r.intn(len(g.cat.flags))]
	c := g.drawContext()
	dst = g.appendKindDate(dst, kind)
	dst = appendContextKeys(dst, c)
	// Debug events carry the full context; feature events often a short one.
	dst = appendContext(dst, c, kind == "debug" || g.r.intn(4) == 0)
	dst = append(dst, `,"key":"`...)
	dst = append(dst, f.key...)

	// The reason decides the variation served.
	variation := f.fallVar
	reason := g.r.intn(100)
	switch {
	case reason < 30 && len(f.ruleIDs) > 0: // RULE_MATCH
		variation = g.r.intn(len(f.variations))
	case reason < 40: // TARGET_MATCH
		variation = g.r.intn(len(f.variations))
	case reason < 47: // OFF
		variation = f.offVar
	case reason < 50 && f.prereq != "": // PREREQUISITE_FAILED
		variation = f.offVar
	}
	dst = append(dst, `","value":`...)
	dst = append(dst, f.variations[variation]...)
	dst = append(dst, `,"default":`...)
	dst = append(dst, f.defaultVal...)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendInt(dst, int64(f.version), 10)
	dst = append(dst, `,"variation":`...)
	dst = strconv.AppendInt(dst, int64(variation), 10)
	if f.prereq != "" && g.r.intn(4) == 0 {
		dst = append(dst, `,"prereqOf":"`...)
		dst = append(dst, f.prereq...)
		dst = append(dst, '"')
	}
	switch {
	case reason < 30 && len(f.ruleIDs) > 0:
		i := g.r.intn(len(f.ruleIDs))
		dst = append(dst, `,"reason":{"kind":"RULE_MATCH","ruleIndex":`...)
		dst = strconv.AppendInt(dst, int64(i), 10)
		dst = append(dst, `,"ruleId":"`...)
		dst = append(dst, f.ruleIDs[i]...)
		if g.r.intn(5) == 0 {
			dst = append(dst, `","inExperiment":true}`...)
		} else {
			dst = append(dst, `"}`...)
		}
	case reason < 40:
		dst = append(dst, `,"reason":{"kind":"TARGET_MATCH"}`...)
	case reason < 47:
		dst = append(dst, `,"reason":{"kind":"OFF"}`...)
	case reason < 50 && f.prereq != "":
		dst = append(dst, `,"reason":{"kind":"PREREQUISITE_FAILED","prerequisiteKey":"`...)
		dst = append(dst, f.prereq...)
		dst = append(dst, `"}`...)
	default:
		dst = append(dst, `,"reason":{"kind":"FALLTHROUGH"}`...)
	}
	if f.trackEvts {
		dst = append(dst, `,"trackEvents":true`...)
	}
	if g.r.intn(20) == 0 {
		dst = append(dst, `,"samplingRatio":10`...)
	}
	return append(dst, '}')
}

func (g *Generator) appendCustom(dst []byte) []byte {
	c := g.drawContext()
	dst = g.appendKindDate(dst, "custom")
	if g.r.intn(3) == 0 {
		i := g.r.intn(len(metricEventKeys))
		dst = append(dst, `,"key":"`...)
		dst = append(dst, metricEventKeys[i]...)
		dst = append(dst, '"')
		dst = appendContextKeys(dst, c)
		// Two decimals, from an integer number of hundredths: exact and cheap.
		hundredths := int64(g.r.intn(metricMagnitudes[i] * 200))
		dst = append(dst, `,"metricValue":`...)
		dst = strconv.AppendInt(dst, hundredths/100, 10)
		dst = append(dst, '.', byte('0'+hundredths/10%10), byte('0'+hundredths%10))
		return append(dst, '}')
	}
	dst = append(dst, `,"key":"`...)
	dst = append(dst, pick(g.r, customEventKeys)...)
	dst = append(dst, '"')
	dst = appendContextKeys(dst, c)
	if g.r.intn(2) == 0 {
		dst = append(dst, `,"data":{"source":"`...)
		dst = append(dst, pick(g.r, customDataSources)...)
		dst = append(dst, `","items":`...)
		dst = strconv.AppendInt(dst, int64(1+g.r.intn(9)), 10)
		dst = append(dst, `,"page":"`...)
		dst = append(dst, pick(g.r, pageURLs)...)
		dst = append(dst, `"}`...)
	}
	return append(dst, '}')
}

func (g *Generator) appendContextEvent(dst []byte, kind string) []byte {
	c := g.drawContext()
	dst = g.appendKindDate(dst, kind)
	dst = appendContext(dst, c, true)
	return append(dst, '}')
}

func (g *Generator) appendPage(dst []byte, kind string) []byte {
	c := g.drawContext()
	dst = g.appendKindDate(dst, kind)
	dst = append(dst, `,"key":"`...)
	dst = append(dst, pick(g.r, customEventKeys)...)
	dst = append(dst, '"')
	dst = appendContextKeys(dst, c)
	dst = append(dst, `,"url":"`...)
	dst = append(dst, pick(g.r, pageURLs)...)
	dst = append(dst, '"')
	if kind == "click" {
		dst = append(dst, `,"selector":"`...)
		dst = append(dst, pick(g.r, clickSelectors)...)
		dst = append(dst, '"')
	}
	return append(dst, '}')
}

func (g *Generator) appendSummary(dst []byte) []byte {
	dst = append(dst, `{"kind":"summary","startDate":`...)
	dst = strconv.AppendInt(dst, g.nowMS-int64(10_000+g.r.intn(290_000)), 10)
	dst = append(dst, `,"endDate":`...)
	dst = strconv.AppendInt(dst, g.nowMS, 10)
	dst = append(dst, `,"features":{`...)
	// A run of distinct flags from a random start: no duplicate keys.
	n := 1 + g.r.intn(8)
	first := g.r.intn(len(g.cat.flags))
	for j := range n {
		f := &g.cat.flags[(first+j)%len(g.cat.flags)]
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, f.key...)
		dst = append(dst, `":{"default":`...)
		dst = append(dst, f.defaultVal...)
		dst = append(dst, `,"contextKinds":["user"],"counters":[`...)
		counters := 1 + g.r.intn(len(f.variations))
		v0 := g.r.intn(len(f.variations))
		for k := range counters {
			v := (v0 + k) % len(f.variations)
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"value":`...)
			dst = append(dst, f.variations[v]...)
			dst = append(dst, `,"version":`...)
			dst = strconv.AppendInt(dst, int64(f.version), 10)
			dst = append(dst, `,"count":`...)
			dst = strconv.AppendInt(dst, int64(1+g.r.intn(500)), 10)
			dst = append(dst, `,"variation":`...)
			dst = strconv.AppendInt(dst, int64(v), 10)
			dst = append(dst, '}')
		}
		if g.r.intn(20) == 0 { // evaluated before the flag existed
			dst = append(dst, `,{"value":`...)
			dst = append(dst, f.defaultVal...)
			dst = append(dst, `,"count":`...)
			dst = strconv.AppendInt(dst, int64(1+g.r.intn(20)), 10)
			dst = append(dst, `,"unknown":true}`...)
		}
		dst = append(dst, "]}"...)
	}
	return append(dst, "}}"...)
}
