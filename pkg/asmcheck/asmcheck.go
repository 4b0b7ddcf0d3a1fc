// Package asmcheck checks the rules our amd64 assembly keeps (see
// docs/development.md): on the build VM a legacy-SSE instruction in AVX
// code, or a RET without VZEROUPPER before it, cost 140–150 ns a call, more
// than the work of the routine. Tests of each .s file call VEXOnly.
package asmcheck

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

var vectorRegister = regexp.MustCompile(`\b[XYZ]\d+\b`)

// Problems lists, as "line N: ...", each instruction of the Go assembly src
// that names a vector register but is not VEX-encoded (its mnemonic does
// not start with V), and each RET that a VZEROUPPER does not precede since
// the last label or TEXT. Macro bodies are read as instructions.
func Problems(src string) []string {
	var out []string
	cleared := false
	for n, line := range strings.Split(src, "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(strings.TrimSuffix(strings.TrimSpace(line), `\`))
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch op := fields[0]; {
		case strings.HasSuffix(op, ":"), op == "TEXT":
			cleared = false
		case op == "VZEROUPPER":
			cleared = true
		case op == "RET" && !cleared:
			out = append(out, fmt.Sprintf("line %d: RET without VZEROUPPER before it", n+1))
		case vectorRegister.MatchString(line) && !strings.HasPrefix(op, "V"):
			out = append(out, fmt.Sprintf("line %d: %s is not VEX-encoded", n+1, op))
		}
	}
	return out
}

// VEXOnly fails t for each of Problems in the assembly file at path.
func VEXOnly(t testing.TB, path string) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range Problems(string(src)) {
		t.Errorf("%s %s", path, p)
	}
}
