// Package kinesisbackend runs a test against each local Kinesis the project
// tests with: pkg/kinesistest, the in-process fake, which always runs, and
// kinesalite, an independent implementation nobody here wrote, which skips
// where Node.js or `make tools` is missing (and fails under CI=true). So a
// plain `go test ./...` runs and asserts every such test, and an installed
// kinesalite checks the same assertions against a second implementation.
package kinesisbackend

import (
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/ldexport/ldexport/pkg/kinesalite"
	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// Kinesis is one running Kinesis for one test.
type Kinesis struct {
	// Endpoint is its base URL, http://127.0.0.1:PORT, for --endpoint-url.
	Endpoint string
	// Client is an SDK client of it with placeholder credentials.
	Client *kinesis.Client
}

// Backend starts a Kinesis.
type Backend struct {
	Name string
	// Start starts a Kinesis with the given streams ACTIVE (each
	// "name:shards", e.g. "ld-events:2") and stops it when t ends.
	Start func(t testing.TB, streams ...string) Kinesis
}

// Fake is pkg/kinesistest: region us-east-1, account 000000000000, no
// faults and no write limits.
var Fake = Backend{"kinesistest", func(t testing.TB, streams ...string) Kinesis {
	t.Helper()
	srv := kinesistest.NewServer(kinesistest.Options{})
	t.Cleanup(srv.Close)
	for _, s := range streams {
		name, n, _ := strings.Cut(s, ":")
		shards, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("stream %q: want name:shards", s)
		}
		if err := srv.CreateStream(name, shards); err != nil {
			t.Fatal(err)
		}
	}
	return Kinesis{Endpoint: srv.URL, Client: srv.NewClient()}
}}

// Kinesalite is pkg/kinesalite (region us-east-1, account 000000000000 too).
var Kinesalite = Backend{"kinesalite", func(t testing.TB, streams ...string) Kinesis {
	t.Helper()
	e := kinesalite.Start(t, streams...)
	return Kinesis{Endpoint: e.Endpoint, Client: e.Client()}
}}

// All are the backends Each runs a test against, the fake first.
var All = []Backend{Fake, Kinesalite}

// Each runs test as a subtest named after each backend in All.
func Each(t *testing.T, test func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range All {
		t.Run(b.Name, func(t *testing.T) { test(t, b) })
	}
}
