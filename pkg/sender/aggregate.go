package sender

import (
	"time"

	"github.com/ldexport/ldexport/pkg/kpl"
)

// Aggregation defaults: the KPL's AggregationMaxSize, and how long an open
// aggregate waits for more records (the KPL's RecordMaxBufferedTime).
const (
	DefaultAggregateMaxBytes = 51_200
	DefaultAggregateLinger   = 100 * time.Millisecond
)

// aggregator packs user records into KPL aggregated records (Config.Aggregate).
// Only the dispatcher goroutine uses it.
//
// With a shard map there is one open aggregate per shard: a record joins
// the aggregate of the shard its own partition key hashes to, and the
// aggregate carries an ExplicitHashKey inside that shard's range, so every
// user record lands where its key says. Records with a random key (nothing
// depends on which key they have) take the key of the first random record
// of their aggregate: it hashes to the same shard, and the aggregate's key
// table then holds one key instead of one per record. Without a map (the
// caller may not list shards) the aggregate's own partition key decides its
// shard, so there is one open aggregate per partition key (one for all
// random keys, which share a key the same way).
//
// An aggregate is sealed when the next record would not fit, when it has
// waited linger since its first record, when the input ends, or when the
// shard map changes. Sealed, it is an ordinary *Record whose users are
// its user records; the user records hold the byte budget, and their Data
// then point into the aggregate's Data (one copy in memory). A single
// record, or one too large for an aggregate, goes as a plain record.
type aggregator struct {
	maxBytes int // data plus partition key of one aggregated record
	linger   time.Duration
	m        *ShardMap
	byShard  []*openAggregate          // with a map: by shard index
	byKey    map[string]*openAggregate // without: by partition key ("" for random keys)
	open     int                       // open aggregates
	order    []orderEntry              // open aggregates, oldest first (with stale entries)
	head     int                       // first entry of order still in use
	sealed   []*Record                 // ready for the pacer
	free     []*openAggregate          // sealed ones, their buffers kept for reuse
}

// orderEntry is an aggregate in opening order; it is stale once the
// aggregate's seq has moved on (sealed, maybe reused since).
type orderEntry struct {
	g   *openAggregate
	seq uint64
}

// maxFreeAggregates bounds the buffers kept for reuse (about 100 KiB each
// at the default size).
const maxFreeAggregates = 16

// openAggregate is an aggregate being filled.
type openAggregate struct {
	b         kpl.Builder
	users     []*Record
	key       string // the aggregate's partition key: its first record's
	randomKey string // the key random records share here
	hashKey   string // the ExplicitHashKey (with a map)
	start     time.Time
	shard     int // its slot: byShard[shard], or byKey[slotKey] when shard < 0
	slotKey   string
	seq       uint64 // counts seals, to tell stale order entries
}

func newAggregator(maxBytes int, linger time.Duration, m *ShardMap) *aggregator {
	a := &aggregator{maxBytes: maxBytes, linger: linger}
	a.setMap(m)
	return a
}

// setMap seals every open aggregate (they were routed by the old map) and
// routes later records by m.
func (a *aggregator) setMap(m *ShardMap) {
	a.sealed = append(a.sealed, a.flush(time.Time{}, true)...)
	a.m = m
	a.byShard, a.byKey = nil, nil
	if m != nil {
		a.byShard = make([]*openAggregate, len(m.Shards))
	} else {
		a.byKey = make(map[string]*openAggregate)
	}
}

// add takes r into an aggregate (or, when it cannot be aggregated, straight
// into the sealed list).
func (a *aggregator) add(r *Record, now time.Time) {
	// An upper bound of r alone in an aggregate: the magic and MD5, its key
	// in the key table and as the aggregate's own key, its data, and at most
	// 16 bytes of protobuf tags and lengths.
	if kpl.Overhead+len(r.Key)+r.Size()+16 > a.maxBytes {
		a.sealed = append(a.sealed, r) // too large to aggregate: alone, as is
		return
	}
	var g *openAggregate
	shard, slotKey, hashKey := -1, "", ""
	if a.m != nil {
		shard = a.m.Find(PartitionHash(r.Key))
		if shard < 0 {
			a.sealed = append(a.sealed, r) // a gap in the map: the pacer notes it is stale
			return
		}
		g, hashKey = a.byShard[shard], a.m.BalanceKey(shard)
	} else {
		if !r.RandomKey {
			slotKey = r.Key
		}
		g = a.byKey[slotKey]
	}
	if g != nil {
		key := r.Key
		if r.RandomKey && g.randomKey != "" {
			key = g.randomKey
		}
		if g.b.SizeWith(kpl.UserRecord{PartitionKey: key, Data: r.Data})+len(g.key) > a.maxBytes {
			a.seal(g)
			g = nil
		}
	}
	if g == nil {
		g = a.openOne(shard, slotKey, r.Key, hashKey, now)
	}
	if r.RandomKey {
		if g.randomKey == "" {
			g.randomKey = r.Key
		}
		r.Key = g.randomKey
	}
	g.b.Add(kpl.UserRecord{PartitionKey: r.Key, Data: r.Data})
	g.users = append(g.users, r)
}

// openOne opens an aggregate in a slot, reusing a sealed one's buffers.
func (a *aggregator) openOne(shard int, slotKey, key, hashKey string, now time.Time) *openAggregate {
	var g *openAggregate
	if n := len(a.free); n > 0 {
		g, a.free = a.free[n-1], a.free[:n-1]
	} else {
		g = &openAggregate{}
	}
	g.key, g.randomKey, g.hashKey, g.start, g.shard, g.slotKey = key, "", hashKey, now, shard, slotKey
	if shard >= 0 {
		a.byShard[shard] = g
	} else {
		a.byKey[slotKey] = g
	}
	a.order = append(a.order, orderEntry{g, g.seq})
	a.open++
	return g
}

// seal turns g into a record for the pacer and empties its slot.
func (a *aggregator) seal(g *openAggregate) {
	a.open--
	g.seq++
	if g.shard >= 0 {
		a.byShard[g.shard] = nil
	} else {
		delete(a.byKey, g.slotKey)
	}
	if len(g.users) == 1 {
		a.sealed = append(a.sealed, g.users[0]) // the KPL too sends a lone record as is
	} else {
		data := g.b.AppendEncoded(make([]byte, 0, g.b.Size()))
		for i, u := range g.users {
			off := g.b.DataOffset(i)
			u.Data = data[off : off+len(u.Data) : off+len(u.Data)]
		}
		first := g.users[0]
		a.sealed = append(a.sealed, &Record{Source: first.Source, Line: first.Line, Data: data, Key: g.key, hashKey: g.hashKey, users: g.users})
	}
	// Nothing points into g's buffers any more: keep them for the next aggregate.
	g.b.Reset()
	g.users = make([]*Record, 0, cap(g.users))
	if len(a.free) < maxFreeAggregates {
		a.free = append(a.free, g)
	}
}

// flush seals the aggregates open for linger or more (all of them when all
// is set) and returns every sealed record, which the caller then owns. The
// oldest open aggregates are at the front of order, so this costs the
// aggregates it seals, not the aggregates open.
func (a *aggregator) flush(now time.Time, all bool) []*Record {
	for a.head < len(a.order) {
		e := a.order[a.head]
		if e.seq == e.g.seq { // still open
			if !all && now.Sub(e.g.start) < a.linger {
				break
			}
			a.seal(e.g)
		}
		a.order[a.head] = orderEntry{}
		a.head++
	}
	if a.head > 0 && a.head >= len(a.order)/2 {
		n := copy(a.order, a.order[a.head:])
		a.order, a.head = a.order[:n], 0
	}
	out := a.sealed
	a.sealed = nil
	return out
}

// wake is when the oldest open aggregate is due; zero when none is open.
func (a *aggregator) wake() time.Time {
	for a.head < len(a.order) {
		if e := a.order[a.head]; e.seq == e.g.seq {
			return e.g.start.Add(a.linger)
		}
		a.order[a.head] = orderEntry{}
		a.head++
	}
	return time.Time{}
}

// count is how many user records r stands for.
func (r *Record) count() int {
	if r.users != nil {
		return len(r.users)
	}
	return 1
}

// dataBytes is the user data r carries.
func (r *Record) dataBytes() int64 {
	if r.users == nil {
		return int64(len(r.Data))
	}
	var n int64
	for _, u := range r.users {
		n += int64(len(u.Data))
	}
	return n
}

// each calls fn with each user record of r (r itself when it is not an aggregate).
func (r *Record) each(fn func(*Record)) {
	if r.users == nil {
		fn(r)
		return
	}
	for _, u := range r.users {
		fn(u)
	}
}
