package gen

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/eventgen"
	"github.com/ldexport/ldexport/pkg/iostreams"
)

func TestNewCmdGenFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     string
		want     GenOptions
		wantErr  string
		wantCode int
	}{
		{name: "defaults", args: "", want: GenOptions{Count: DefaultCount, Seed: eventgen.DefaultSeed, Project: "default", Environment: "production"}},
		{name: "all flags", args: "--count 100_000 --seed 42 --kinds feature,custom,identify,summary --project mobile --environment staging --start 2025-06-01T12:00:00Z",
			want: GenOptions{Count: 100000, Seed: 42, Kinds: []eventgen.Kind{"feature", "custom", "identify", "summary"}, Project: "mobile", Environment: "staging",
				Start: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}},
		{name: "count 1M", args: "--count 1M", want: GenOptions{Count: 1000000, Seed: 1, Project: "default", Environment: "production"}},
		{name: "short count", args: "-n 100k", want: GenOptions{Count: 100000, Seed: 1, Project: "default", Environment: "production"}},
		{name: "negative count", args: "--count -5", wantErr: `--count: invalid count "-5": must not be negative`, wantCode: 2},
		{name: "garbage count", args: "--count lots", wantErr: `--count: invalid count "lots"`, wantCode: 2},
		{name: "unknown kind", args: "--kinds feature,clicks", wantErr: `--kinds: unknown event kind "clicks" (valid: feature, debug, custom, identify, index, summary, click, pageview)`, wantCode: 2},
		{name: "empty kinds", args: "--kinds ,", wantErr: `--kinds: no event kind given`, wantCode: 2},
		{name: "bad seed", args: "--seed -1", wantErr: `invalid argument "-1" for "--seed" flag`, wantCode: 2},
		{name: "empty project", args: "--project=", wantErr: "--project: empty project key", wantCode: 2},
		{name: "empty environment", args: "--environment=", wantErr: "--environment: empty environment key", wantCode: 2},
		{name: "bad start", args: "--start yesterday", wantErr: `--start: "yesterday" is not an RFC 3339 time`, wantCode: 2},
		{name: "positional argument", args: "extra", wantErr: `unexpected argument "extra"`, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cmdtest.ParseFlags(NewCmdGen, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				if c := cmdutil.ExitCode(err); c != tt.wantCode {
					t.Errorf("exit code %d, want %d", c, tt.wantCode)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Count != tt.want.Count || got.Seed != tt.want.Seed || got.Project != tt.want.Project ||
				got.Environment != tt.want.Environment || !got.Start.Equal(tt.want.Start) || !equalKinds(got.Kinds, tt.want.Kinds) {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func equalKinds(a, b []eventgen.Kind) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestGenRunWritesCountLinesDeterministically(t *testing.T) {
	run := func(seed uint64) []byte {
		ios, _, out, errOut := iostreams.Test()
		opts := &GenOptions{IO: ios, Count: 500, Seed: seed, Project: "default", Environment: "production"}
		if err := genRun(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(errOut.String(), "derived from the keys") {
			t.Errorf("stderr %q: want a note that the IDs are derived from the keys", errOut)
		}
		return out.Bytes()
	}
	a, b := run(42), run(42)
	if n := bytes.Count(a, []byte("\n")); n != 500 {
		t.Errorf("%d lines, want 500", n)
	}
	if !bytes.Equal(a, b) {
		t.Error("same seed, different output")
	}
	if bytes.Equal(a, run(43)) {
		t.Error("different seeds, same output")
	}
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

func TestGenRunWriteErrors(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode int
	}{
		{"broken pipe ends quietly", &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}, 0},
		{"other write error fails", errors.New("no space left on device"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			ios.Out = errWriter{tt.err}
			err := genRun(context.Background(), &GenOptions{IO: ios, Count: 10, Project: "p", Environment: "e"})
			if c := cmdutil.ExitCode(err); c != tt.wantCode {
				t.Errorf("exit code %d (err %v), want %d", c, err, tt.wantCode)
			}
		})
	}
}

// TestGenRunClosedPipe writes into a real pipe whose reader is gone, as
// `ldexport gen | head` does.
func TestGenRunClosedPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	ios, _, _, _ := iostreams.Test()
	ios.Out = w
	if err := genRun(context.Background(), &GenOptions{IO: ios, Count: 100000, Project: "p", Environment: "e"}); err != nil {
		t.Errorf("err = %v, want nil on a closed pipe", err)
	}
}

func TestGenRunInterrupted(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := genRun(ctx, &GenOptions{IO: ios, Count: 1000000, Project: "p", Environment: "e"})
	if c := cmdutil.ExitCode(err); c != cmdutil.ExitInterrupted {
		t.Errorf("exit code %d (err %v), want 130", c, err)
	}
}
