package cmddocs_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/ldexport/ldexport/pkg/cmd/root"
	"github.com/ldexport/ldexport/pkg/cmddocs"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/golden"
	"github.com/ldexport/ldexport/pkg/iostreams"
)

func newRoot() *cobra.Command {
	ios, _, _, _ := iostreams.Test()
	return root.NewCmdRoot(cmdutil.NewFactory(ios, cmdutil.BuildInfo{}))
}

// TestReferenceIsCommitted fails when docs/reference differs from what the
// command tree generates, as the completions test does for completions/.
func TestReferenceIsCommitted(t *testing.T) {
	dir := t.TempDir()
	if err := cmddocs.WriteMarkdown(newRoot(), dir); err != nil {
		t.Fatal(err)
	}
	committed := filepath.Join(golden.ModuleRoot(t), "docs", "reference")
	want := pages(t, dir)
	got := pages(t, committed)
	for name, body := range want {
		if !bytes.Equal(got[name], body) {
			t.Errorf("docs/reference/%s differs from the command tree: run `make docs`", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("docs/reference/%s names no command: run `make docs`", name)
		}
	}
}

func TestManPagesNameEveryCommand(t *testing.T) {
	dir := t.TempDir()
	if err := cmddocs.WriteMan(newRoot(), dir); err != nil {
		t.Fatal(err)
	}
	send, err := os.ReadFile(filepath.Join(dir, "ldexport-send.1"))
	if err != nil {
		t.Fatalf("no man page for send: %v", err)
	}
	for _, want := range []string{".TH \"LDEXPORT\" \"1\"", "ldexport-send", "--reject-file", ".SH SEE ALSO"} {
		if !strings.Contains(string(send), want) {
			t.Errorf("ldexport-send.1 lacks %q", want)
		}
	}
	// Regenerating removes pages of commands that are gone.
	stale := filepath.Join(dir, "ldexport-gone.1")
	if err := os.WriteFile(stale, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmddocs.WriteMan(newRoot(), dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("a stale page survived regeneration: %v", err)
	}
}

func pages(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}
