// Command ldfake runs pkg/ldfake's fake LaunchDarkly as a process, for the
// worked example in docs/launchdarkly.md and manual use:
//
//	go run ./tools/ldfake --token fake-token
//
// Once listening on 127.0.0.1 it prints one line on stdout,
// "ready http://127.0.0.1:PORT". It stops on SIGINT, SIGTERM or when its
// stdin closes (unless --exit-on-stdin-close=false), then prints on stderr
// every request or response that was off the spec, and exits 1 if there was
// any.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ldexport/ldexport/pkg/childserver"
	"github.com/ldexport/ldexport/pkg/ldfake"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, childserver.StopSignals()))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, stop <-chan os.Signal) int {
	fs := flag.NewFlagSet("ldfake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	token := fs.String("token", "fake-token", "the access token the fake accepts")
	exitOnStdin := fs.Bool("exit-on-stdin-close", true, "stop when stdin closes")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ldfake: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	srv, err := ldfake.New(*token)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer srv.Close()
	_ = childserver.Ready(stdout, srv.URL)
	childserver.WaitForStop(stdin, *exitOnStdin, stop)
	violations := srv.Violations()
	for _, v := range violations {
		fmt.Fprintln(stderr, "off the spec:", v)
	}
	fmt.Fprintf(stderr, "ldfake: %d requests, %d off the spec\n", len(srv.Requests()), len(violations))
	if len(violations) > 0 {
		return 1
	}
	return 0
}
