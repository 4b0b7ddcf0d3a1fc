package check

import (
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/preflight"
)

func TestPrintChecksStyledOnATerminal(t *testing.T) {
	rep := preflight.Report{Destination: "d", Checks: []preflight.Check{{Name: "stream", Status: preflight.Pass, Detail: "ok"}, {Name: "permissions", Status: preflight.Fail, Detail: "denied"}}}
	for _, tty := range []bool{false, true} {
		ios, _, out, _ := iostreams.Test()
		ios.SetStdoutTTY(tty)
		ios.SetColorEnabled(tty)
		if err := printChecks(ios, rep); err != nil {
			t.Fatal(err)
		}
		styled := strings.Contains(out.String(), "\x1b[")
		if styled != tty {
			t.Errorf("tty %v: styled %v:\n%q", tty, styled, out.String())
		}
		if !tty && out.String() != "pass  stream       ok\nfail  permissions  denied\n" {
			t.Errorf("plain output %q", out.String())
		}
	}
}
