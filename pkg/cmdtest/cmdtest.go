// Package cmdtest builds Factories for command tests: buffers for the I/O
// streams, a store in a temp folder, a fixed clock, and a runner that executes
// the whole command tree the way main does.
package cmdtest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
)

// Clock is the fixed time test factories report.
var Clock = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// Env is a test Factory and its captured streams.
type Env struct {
	Factory *cmdutil.Factory
	IO      *iostreams.IOStreams
	In      *bytes.Buffer
	Out     *bytes.Buffer
	ErrOut  *bytes.Buffer
	// StorePath is the store file, in a folder of the test's own.
	StorePath string
}

// New returns a test Env: no terminals, colour off, a store under t.TempDir(),
// the clock fixed at Clock, and a region so no AWS configuration is needed.
func New(t testing.TB) *Env {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	f := cmdutil.NewFactory(ios, cmdutil.BuildInfo{Version: "1.2.3", Commit: "abc1234", Date: "2026-11-26T10:00:00Z"})
	e := &Env{Factory: f, IO: ios, In: in, Out: out, ErrOut: errOut, StorePath: filepath.Join(t.TempDir(), "ldexport", "config.yaml")}
	f.Globals.ConfigPath = e.StorePath
	f.Now = func() time.Time { return Clock }
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "no-aws-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "no-aws-credentials"))
	t.Setenv("LDEXPORT_CONFIG", e.StorePath)
	// Tests never reach the EC2 metadata service or real AWS credentials.
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, k := range []string{"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "LDEXPORT_ENDPOINT_URL",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KINESIS", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		"LAUNCHDARKLY_ACCESS_TOKEN", "LD_ACCESS_TOKEN", "LAUNCHDARKLY_API_HOST", "LDEXPORT_LD_API_HOST"} {
		t.Setenv(k, "") // restored when the test ends
		// Unset, not empty: the SDK treats a present AWS_ENDPOINT_URL as set.
		_ = os.Unsetenv(k)
	}
	return e
}

// Run executes the command tree built by newRoot with args, as main does, and
// returns the exit code. Output collects in e.Out and e.ErrOut.
func (e *Env) Run(execute func(context.Context, *cmdutil.Factory, []string) int, args ...string) int {
	return execute(context.Background(), e.Factory, args)
}

// Reset empties the captured output.
func (e *Env) Reset() {
	e.Out.Reset()
	e.ErrOut.Reset()
}

// EmulatorCredentials sets placeholder credentials (access key accessKeyID)
// for runs against a local emulator, and keeps the SDK from probing the EC2
// metadata service.
func EmulatorCredentials(t testing.TB, accessKeyID string) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", accessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// Execute runs the whole command tree (execute is root.Execute) with args
// on a production Factory with buffer streams, after setup (when not nil)
// has replaced what the test fakes; the run may take a minute. It returns
// stdout, stderr and the exit code.
func Execute(execute func(context.Context, *cmdutil.Factory, []string) int, setup func(*cmdutil.Factory), args ...string) (stdout, stderr string, code int) {
	ios, _, out, errOut := iostreams.Test()
	f := cmdutil.NewFactory(ios, cmdutil.BuildInfo{})
	if setup != nil {
		setup(f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code = execute(ctx, f, args)
	return out.String(), errOut.String(), code
}
