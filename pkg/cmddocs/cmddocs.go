// Package cmddocs renders the command reference (Markdown and man pages) from
// a cobra command tree with github.com/spf13/cobra/doc, so the reference can
// never say something the binary's own help does not.
package cmddocs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// WriteMarkdown replaces the Markdown pages in dir (one per command,
// ldexport.md first) with pages generated from root. Pages of commands that no
// longer exist are removed.
func WriteMarkdown(root *cobra.Command, dir string) error {
	return regenerate(dir, ".md", func() error {
		root.DisableAutoGenTag = true // no dates: the pages are committed and compared
		return doc.GenMarkdownTree(root, dir)
	})
}

// WriteMan replaces the man pages in dir (section 1, `man ldexport-send`).
func WriteMan(root *cobra.Command, dir string) error {
	return regenerate(dir, ".1", func() error {
		root.DisableAutoGenTag = true
		return doc.GenManTree(root, &doc.GenManHeader{Title: strings.ToUpper(root.Name()), Section: "1", Source: root.Name(), Manual: "ldexport manual"}, dir)
	})
}

func regenerate(dir, ext string, gen func() error) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*"+ext))
	if err != nil {
		return err
	}
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	if err := gen(); err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	return nil
}
