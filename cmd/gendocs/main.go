// Command gendocs writes ldexport's command reference from the cobra tree:
// Markdown pages (committed under docs/reference, checked by a drift test)
// and man pages (generated for release archives and deb/rpm packages).
//
//	go run ./cmd/gendocs -markdown docs/reference -man man
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/ldexport/ldexport/pkg/cmd/root"
	"github.com/ldexport/ldexport/pkg/cmddocs"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
)

func main() {
	md := flag.String("markdown", "", "write the Markdown reference into this folder")
	man := flag.String("man", "", "write man pages (section 1) into this folder")
	flag.Parse()
	if *md == "" && *man == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gendocs [-markdown DIR] [-man DIR]")
		os.Exit(2)
	}
	cmd := root.NewCmdRoot(cmdutil.NewFactory(iostreams.System(), cmdutil.BuildInfo{}))
	if *md != "" {
		if err := cmddocs.WriteMarkdown(cmd, *md); err != nil {
			fmt.Fprintln(os.Stderr, "gendocs:", err)
			os.Exit(1)
		}
	}
	if *man != "" {
		if err := cmddocs.WriteMan(cmd, *man); err != nil {
			fmt.Fprintln(os.Stderr, "gendocs:", err)
			os.Exit(1)
		}
	}
}
