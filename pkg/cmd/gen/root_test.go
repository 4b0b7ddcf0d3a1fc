package gen_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmd/root"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/golden"
	"github.com/ldexport/ldexport/pkg/iostreams"
)

// TestGenThroughRoot runs `ldexport gen` as the binary does: registered in
// the root command, errors as one stderr line with the contract's exit code.
func TestGenThroughRoot(t *testing.T) {
	tests := []struct {
		name      string
		args      string
		wantCode  int
		wantLines int
		wantErr   string
	}{
		{name: "default count", args: "gen --project 5744c96707c9900708000004 --environment 5744c96707c9900708000005", wantLines: 10},
		{name: "count with suffix", args: "gen --count 2k --kinds summary --project 5744c96707c9900708000004 --environment 5744c96707c9900708000005", wantLines: 2000},
		{name: "keys", args: "gen --count 1 --project mobile --environment staging", wantLines: 1,
			wantErr: `Note: LaunchDarkly's export carries project and environment IDs, not keys; writing project 27ccac8b6632567bf3e633f5 and environment 38d531adc262976f4f951208, derived from the keys "mobile" and "staging" (give the 24-hex IDs to use the real ones).`},
		{name: "unknown kind", args: "gen --kinds feature,bogus", wantCode: 2, wantErr: `Error: --kinds: unknown event kind "bogus" (valid: feature, debug, custom, identify, index, summary, click, pageview) (see 'ldexport gen --help')`},
		{name: "negative count", args: "gen --count -3", wantCode: 2, wantErr: `Error: --count: invalid count "-3": must not be negative (see 'ldexport gen --help')`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			code := root.Execute(context.Background(), cmdutil.NewFactory(ios, cmdutil.BuildInfo{}), strings.Fields(tt.args))
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.wantCode, errOut)
			}
			if n := bytes.Count(out.Bytes(), []byte("\n")); n != tt.wantLines {
				t.Errorf("%d lines on stdout, want %d", n, tt.wantLines)
			}
			if got := strings.TrimSuffix(errOut.String(), "\n"); got != tt.wantErr {
				t.Errorf("stderr %q, want %q", got, tt.wantErr)
			}
		})
	}
}

// TestSampleMatchesCommand checks the documented command reproduces the
// committed sample: `ldexport gen --count 20 --seed 42 --kinds <all kinds>`.
func TestSampleMatchesCommand(t *testing.T) {
	ios, _, out, errOut := iostreams.Test()
	args := []string{"gen", "--count", "20", "--seed", "42", "--kinds", "feature,debug,custom,identify,index,summary,click,pageview"}
	if code := root.Execute(context.Background(), cmdutil.NewFactory(ios, cmdutil.BuildInfo{}), args); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden.Assert(t, "testdata/events/sample.ndjson", out.Bytes())
}
