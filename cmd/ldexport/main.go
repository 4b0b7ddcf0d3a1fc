// Command ldexport wires LaunchDarkly Data Export into Amazon Kinesis.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ldexport/ldexport/pkg/cmd/root"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
)

// Set by -ldflags at release time.
var (
	version = ""
	commit  = ""
	date    = ""
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	f := cmdutil.NewFactory(iostreams.System(), cmdutil.BuildInfo{Version: version, Commit: commit, Date: date})
	code := root.Execute(ctx, f, os.Args[1:])
	stop()
	os.Exit(code)
}
