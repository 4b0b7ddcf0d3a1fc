// Package harness holds what the benchmark programs under bench/ share: the
// input events they send, running the ldexport binary, the figures they
// print against their targets, and how they stop on a setup error.
package harness

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/ldexport/ldexport/pkg/ingest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Events writes n distinct ~400-byte exported events to dir/name, one a
// line, and returns the file's path and the lines.
func Events(dir, name string, n int) (string, [][]byte) {
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	Check(err)
	w := bufio.NewWriter(f)
	pad := strings.Repeat("z", 160)
	lines := make([][]byte, n)
	for i := range lines {
		line := fmt.Sprintf(`{"project":"p","environment":"production","event":{"kind":"feature","creationDate":%d,"contextKeys":{"user":"user-%d"},"key":"flag-%d","value":true,"variation":1,"version":7,"reason":{"kind":"FALLTHROUGH"},"pad":"%s"},"version":1}`,
			1764150000000+int64(i), i%97, i%13, pad)
		lines[i] = []byte(line)
		w.WriteString(line)
		w.WriteByte('\n')
	}
	Check(w.Flush())
	Check(f.Close())
	return path, lines
}

// Figures prints measured values against their targets and remembers
// whether any missed.
type Figures struct {
	Missed bool
}

// Add prints one value against its target: at least target when atLeast,
// else at most.
func (f *Figures) Add(name string, got, target float64, atLeast bool, unit string) {
	ok, cmp := got >= target, "≥"
	if !atLeast {
		ok, cmp = got <= target, "≤"
	}
	verdict := "ok"
	if !ok {
		verdict, f.Missed = "MISSED", true
	}
	ratio := "n/a"
	if target != 0 {
		ratio = fmt.Sprintf("%.3f", got/target)
	}
	fmt.Printf("  %-30s %12.3f %-7s target %s %.2f  ratio %s  %s\n", name, got, unit, cmp, target, ratio, verdict)
}

// Check ends the program with err on stderr, if err is not nil.
func Check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// Run runs the ldexport binary bin with args, standard input from the file
// stdin (none when empty), under /usr/bin/time -v when timed, with
// placeholder credentials and a config file in dir. It decodes the JSON
// summary send prints on stdout into summary and returns the exit code,
// standard error and, when timed, the peak RSS in KiB.
func Run(bin, dir, stdin string, timed bool, summary *ingest.Summary, args ...string) (code int, stderr string, rssKiB int64) {
	name := bin
	if timed {
		args, name = append([]string{"-v", bin}, args...), "/usr/bin/time"
	}
	cmd := exec.Command(name, args...)
	if stdin != "" {
		in, err := os.Open(stdin)
		Check(err)
		defer in.Close()
		cmd.Stdin = in
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true", "LDEXPORT_CONFIG="+filepath.Join(dir, "config.yaml"), "LDEXPORT_ENDPOINT_URL=")
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		Check(err)
	}
	if err := json.Unmarshal(out.Bytes(), summary); err != nil {
		fmt.Fprintf(os.Stderr, "summary: %v\nstdout: %s\nstderr: %s\n", err, out.String(), errOut.String())
		os.Exit(1)
	}
	if m := rssLine.FindStringSubmatch(errOut.String()); m != nil {
		rssKiB, _ = strconv.ParseInt(m[1], 10, 64)
	}
	return code, errOut.String(), rssKiB
}

var rssLine = regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)

// Setup makes a temporary folder for a benchmark program (the caller
// removes it), builds ./cmd/ldexport into it unless bin names a binary, and
// prints the machine's load. It returns the folder and the binary.
func Setup(name, bin string) (dir, ldexport string) {
	dir, err := os.MkdirTemp("", name)
	Check(err)
	if bin == "" {
		bin = filepath.Join(dir, "ldexport")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/ldexport").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("machine: load average %s\n", strings.Join(strings.Fields(string(load))[:3], " "))
	return dir, bin
}
