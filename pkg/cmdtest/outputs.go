package cmdtest

import (
	"encoding/json"
	"testing"

	"github.com/ldexport/ldexport/pkg/golden"
	"github.com/ldexport/ldexport/pkg/output"
)

// Output is one way a command prints: its -o format, whether stdout is a
// terminal, and the extension of its golden file.
type Output struct {
	Ext    string
	Format output.Format
	TTY    bool
}

// Outputs are the four ways a command prints: tab-separated when piped, a
// table on a terminal, JSON and YAML.
var Outputs = []Output{
	{"tsv", output.Table, false},
	{"table", output.Table, true},
	{"json", output.JSON, false},
	{"yaml", output.YAML, false},
}

// AssertOutputs calls print once for each of Outputs, on a fresh Env with
// that format and terminal, and compares what it wrote on stdout with the
// golden file testdata/<name>.<ext> (relative to the module root).
func AssertOutputs(t *testing.T, name string, print func(*testing.T, *Env) error) {
	t.Helper()
	for _, o := range Outputs {
		t.Run(name+"."+o.Ext, func(t *testing.T) {
			e := New(t)
			e.Factory.Globals.Output = o.Format
			e.IO.SetStdoutTTY(o.TTY)
			if err := print(t, e); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, "testdata/"+name+"."+o.Ext, e.Out.Bytes())
		})
	}
}

// AssertJSONGolden fails t unless out is JSON alone (what a pipe into the
// AWS CLI reads) and equals the golden file testdata/<name>.
func AssertJSONGolden(t testing.TB, name string, out []byte) {
	t.Helper()
	if !json.Valid(out) {
		t.Fatalf("stdout is not just JSON:\n%s", out)
	}
	golden.Assert(t, "testdata/"+name, out)
}
