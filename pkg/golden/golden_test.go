package golden

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFirstDiff(t *testing.T) {
	tests := []struct {
		name      string
		got, want string
		line      int
		g, w      string
	}{
		{"second line differs", "a\nb\nc\n", "a\nX\nc\n", 2, "b", "X"},
		{"got is shorter", "a\n", "a\nb\n", 2, "", "b"},
		{"got is longer", "a\nb\nc", "a\nb", 3, "c", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, g, w := firstDiff([]byte(tt.got), []byte(tt.want))
			if line != tt.line || string(g) != tt.g || string(w) != tt.w {
				t.Errorf("firstDiff = %d, %q, %q; want %d, %q, %q", line, g, w, tt.line, tt.g, tt.w)
			}
		})
	}
}

func TestModuleRootHoldsGoMod(t *testing.T) {
	root := ModuleRoot(t)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "pkg", "golden", "golden.go")); err != nil {
		t.Errorf("module root %s does not hold pkg/golden: %v", root, err)
	}
}
