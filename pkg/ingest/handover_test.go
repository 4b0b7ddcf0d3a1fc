package ingest

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/ingest/ingesttest"
)

// The reader hands the records it read to the sender in batches, and always
// before it reads from an input that may wait: lines from a pipe that then
// goes quiet are delivered while it stays open, not held until more lines
// fill a batch.
func TestLinesFromAQuietPipeAreDelivered(t *testing.T) {
	api := ingesttest.NewServer(t)
	pr, pw := io.Pipe()
	done := make(chan result, 1)
	go func() {
		done <- runJob(t, context.Background(), Job{Inputs: []string{"-"}, Stdin: pr}, api.NewClient())
	}()
	lines := ingesttest.Lines(3)
	if _, err := io.WriteString(pw, strings.Join(lines, "\n")+"\n"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(ingesttest.StoredData(api)) < 3 {
		if time.Now().After(deadline) {
			pw.Close()
			t.Fatalf("after 10 s with the pipe open, %d of 3 lines stored", len(ingesttest.StoredData(api)))
		}
		time.Sleep(5 * time.Millisecond)
	}
	pw.Close()
	r := <-done
	if r.err != nil || r.summary().Sent != 3 {
		t.Fatalf("err %v summary %+v", r.err, r.summary())
	}
}
