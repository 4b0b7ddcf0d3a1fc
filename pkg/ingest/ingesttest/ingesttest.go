// Package ingesttest holds test helpers for pkg/ingest and the commands
// built on it: input lines, a pkg/kinesistest server with stream "s", what
// it stored, and a Script that answers by line number. Kinesis itself is
// always pkg/kinesistest's server, reached with a real SDK client.
package ingesttest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// Lines returns n distinct small events; each has its index in "n", which
// Scripted reads.
func Lines(n int) []string {
	ls := make([]string, n)
	for i := range ls {
		ls[i] = fmt.Sprintf(`{"event":{"kind":"custom","contextKeys":{"user":"u%d"}},"n":%d}`, i%7, i)
	}
	return ls
}

// NewServer starts a pkg/kinesistest fake Kinesis, closed when t ends,
// with stream "s" of one shard.
func NewServer(t testing.TB) *kinesistest.Server {
	t.Helper()
	return NewServerWith(t, kinesistest.Options{})
}

// NewServerWith is NewServer with opts: a Script, a record size limit.
func NewServerWith(t testing.TB, opts kinesistest.Options) *kinesistest.Server {
	t.Helper()
	srv := kinesistest.NewServer(opts)
	t.Cleanup(srv.Close)
	if err := srv.CreateStream("s", 1); err != nil {
		t.Fatal(err)
	}
	return srv
}

// StoredData is the data of every record srv accepted on stream "s".
func StoredData(srv *kinesistest.Server) [][]byte {
	var out [][]byte
	for _, r := range srv.Records("s") {
		out = append(out, r.Data)
	}
	return out
}

// Count counts each record's data across bs: how often each line arrived.
func Count(bs ...[][]byte) map[string]int {
	m := map[string]int{}
	for _, b := range bs {
		for _, d := range b {
			m[string(d)]++
		}
	}
	return m
}

// Events returns n distinct exported events of about 400 bytes, the size
// of LaunchDarkly's.
func Events(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`{"project":"p","environment":"production","event":{"kind":"feature","creationDate":%d,"contextKeys":{"user":"user-%d"},"key":"flag-%d","value":true,"variation":1,"version":7,"reason":{"kind":"FALLTHROUGH"},"pad":"%s"},"version":1}`,
			1764150000000+int64(i), i%97, i%13, strings.Repeat("z", 190))
	}
	return out
}

// Scripted answers each record by its line number (the "n" field of
// Lines): store it, fail it alone with InternalFailure (Failing), or, for
// the first record at or past InterruptAt, interrupt the run (Cancel) and
// fail the records from there on. Each answer waits Delay first, so the
// reader has read every line before anything is decided. Use its Script
// method as kinesistest.Options.Script.
type Scripted struct {
	mu          sync.Mutex
	Delay       time.Duration
	Failing     map[int]bool // always fail these (given up after the retry budget)
	InterruptAt int          // 0: never
	Cancel      func()
}

var lineNumber = regexp.MustCompile(`"n":(\d+)}`)

// Script answers call as scripted.
func (k *Scripted) Script(call *kinesistest.Call) kinesistest.Reply {
	select {
	case <-time.After(k.Delay):
	case <-call.Context.Done():
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	var failed map[int]string
	for i, e := range call.Records {
		m := lineNumber.FindSubmatch(e.Data)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(string(m[1]))
		interrupt := k.InterruptAt > 0 && n >= k.InterruptAt
		if !k.Failing[n] && !interrupt {
			continue
		}
		if interrupt {
			k.Cancel()
		}
		if failed == nil {
			failed = map[int]string{}
		}
		failed[i] = "InternalFailure"
	}
	if failed == nil {
		return kinesistest.Reply{}
	}
	return kinesistest.Reply{RecordErrors: failed, Message: "scripted"}
}
