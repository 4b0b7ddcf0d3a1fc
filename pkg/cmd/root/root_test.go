package root

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmd/completion"
	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/golden"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

const roleARN = "arn:aws:iam::123456789012:role/ld-export"

func TestExitCodesAndOneLineErrors(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		wantErr   string
		wantUsage bool
	}{
		{"help", []string{"--help"}, 0, "", false},
		{"unknown command", []string{"bogus"}, 2, `unknown command "bogus" for "ldexport"`, false},
		{"unknown subcommand", []string{"dest", "bogus"}, 2, `unknown command "bogus" for "ldexport dest"`, false},
		{"unknown flag", []string{"dest", "list", "--bogus"}, 2, "unknown flag: --bogus", false},
		{"bad output format", []string{"dest", "list", "-o", "xml"}, 2, `invalid value "xml" for -o/--output`, false},
		{"missing argument", []string{"dest", "show"}, 2, "name the destination", false},
		{"invalid ARN", []string{"dest", "create", "p", "--env", "e", "--stream", "s", "--role-arn", "nope"}, 2, "--role-arn: invalid role ARN", false},
		{"unknown destination", []string{"dest", "show", "nope"}, 1, `destination not found: "nope"`, false},
		{"delete without terminal", []string{"dest", "delete", "nope"}, 2, "--yes is required", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			code := e.Run(Execute, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, e.ErrOut)
			}
			if tt.wantErr == "" {
				return
			}
			first, rest, _ := strings.Cut(e.ErrOut.String(), "\n")
			if !strings.Contains(first, tt.wantErr) {
				t.Errorf("first stderr line %q lacks %q", first, tt.wantErr)
			}
			if hasUsage := strings.Contains(rest, "Usage:"); hasUsage != tt.wantUsage {
				t.Errorf("usage printed = %v, want %v:\n%s", hasUsage, tt.wantUsage, e.ErrOut)
			}
			if !tt.wantUsage && strings.TrimSpace(rest) != "" {
				t.Errorf("more than one line on stderr:\n%s", e.ErrOut)
			}
		})
	}
}

// TestEveryUsageErrorIsOneLine runs every command of the tree with an unknown
// flag, and each with a bad value or argument, and wants exactly one stderr
// line of the form "Error: <what> (see 'ldexport <command> --help')", exit 2.
func TestEveryUsageErrorIsOneLine(t *testing.T) {
	badValue := map[string][]string{
		"ldexport":             {"sned"},
		"ldexport help":        {"help", "bogus"},
		"ldexport completion":  {"completion", "tcsh"},
		"ldexport dest":        {"dest", "bogus"},
		"ldexport dest create": {"dest", "create", "p", "--env", "e", "--stream", "s", "--role-arn", "nope"},
		"ldexport dest list":   {"dest", "list", "-o", "xml"},
		"ldexport dest show":   {"dest", "show", "prod", "extra"},
		"ldexport dest delete": {"dest", "delete", "prod"},
		"ldexport dest test":   {"dest", "test", "prod", "--timeout", "5"},
		"ldexport dest check":  {"dest", "check", "prod", "--events-per-month", "-5"},
		"ldexport dest push":   {"dest", "push", "prod", "--on", "--off"},
		"ldexport dest pull":   {"dest", "pull", "--project", "bad!key"},
		"ldexport dest export": {"dest", "export", "prod", "--format", "xml"},
		"ldexport gen":         {"gen", "--count", "lots"},
		"ldexport iam":         {"iam", "bogus"},
		"ldexport iam apply":   {"iam", "apply", "--dest", "prod", "--role-name", "no spaces"},
		"ldexport iam policy":  {"iam", "policy", "--region", "mars-1", "--account-id", "123456789012", "--stream", "s"},
		"ldexport iam trust":   {"iam", "trust", "--external-id", "!"},
		"ldexport send":        {"send", "--stream", "s", "--concurrency", "0"},
		"ldexport shards":      {"shards", "--events-per-month", "-5"},
		"ldexport tail":        {"tail", "--stream", "s", "--max", "x"},
		"ldexport version":     {"version", "extra"},
	}
	var cases [][]string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.Fields(c.CommandPath())[1:]
		cases = append(cases, append(slices.Clone(path), "--bogus"))
		bad, ok := badValue[c.CommandPath()]
		if !ok {
			t.Errorf("no bad-value case for %q: add one", c.CommandPath())
		}
		cases = append(cases, bad)
		for _, sub := range c.Commands() {
			if sub.Name() != "__complete" && sub.Name() != "__completeNoDesc" {
				walk(sub)
			}
		}
	}
	e := cmdtest.New(t)
	root := NewCmdRoot(e.Factory)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	walk(root)
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			e := cmdtest.New(t)
			e.Seed(t, cmdtest.Destinations()...)
			if code := e.Run(Execute, args...); code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, e.ErrOut)
			}
			got := e.ErrOut.String()
			if strings.Count(got, "\n") != 1 || !usageLine.MatchString(got) {
				t.Errorf("stderr is not one usage line:\n%s", got)
			}
			if e.Out.Len() != 0 {
				t.Errorf("stdout not empty:\n%s", e.Out)
			}
		})
	}
}

var usageLine = regexp.MustCompile(`^Error: \S.* \(see 'ldexport( [a-z]+)* --help'\)\n$`)

func TestHelpOfUnknownTopicIsAUsageError(t *testing.T) {
	e := cmdtest.New(t)
	if code := e.Run(Execute, "help", "dest", "bogus"); code != 2 {
		t.Errorf("help dest bogus: exit %d, want 2", code)
	}
	e.Reset()
	if code := e.Run(Execute, "help", "dest", "create"); code != 0 || !strings.Contains(e.Out.String(), "ldexport dest create NAME") {
		t.Errorf("help dest create: exit %d\n%s%s", code, e.Out, e.ErrOut)
	}
}

func TestGroupUsageListsSubcommandsOnly(t *testing.T) {
	for _, group := range []string{"dest", "iam"} {
		e := cmdtest.New(t)
		if code := e.Run(Execute, group, "--help"); code != 0 {
			t.Fatalf("%s --help: exit %d", group, code)
		}
		usage := e.Out.String()
		if strings.Contains(usage, "ldexport "+group+" [flags]") || !strings.Contains(usage, "ldexport "+group+" <command> [flags]") {
			t.Errorf("%s usage:\n%s", group, usage)
		}
	}
}

// TestHelpTeaches wants an example on every command and a placeholder in
// capitals (PATH, N, DURATION, NAME...) for the value of every flag that
// takes one, never a Go type such as "string" or a word such as "file".
func TestHelpTeaches(t *testing.T) {
	e := cmdtest.New(t)
	root := NewCmdRoot(e.Factory)
	root.InitDefaultHelpCmd()
	placeholder := regexp.MustCompile(`^[A-Z][A-Z.|_]*$|^[a-z]+(\|[a-z]+)+$`)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden {
			return
		}
		if c.Example == "" {
			t.Errorf("%s has no example", c.CommandPath())
		}
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Value.Type() == "bool" {
				return
			}
			if name, _ := pflag.UnquoteUsage(f); !placeholder.MatchString(name) {
				t.Errorf("%s --%s shows its value as %q", c.CommandPath(), f.Name, name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func TestCorruptStoreNamesTheFile(t *testing.T) {
	e := cmdtest.New(t)
	if err := os.MkdirAll(filepath.Dir(e.StorePath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.StorePath, []byte("version: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := e.Run(Execute, "dest", "list"); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if lines := strings.Count(e.ErrOut.String(), "\n"); lines != 1 || !strings.Contains(e.ErrOut.String(), e.StorePath) {
		t.Errorf("want one line naming %s, got %q", e.StorePath, e.ErrOut)
	}
}

func TestConfigFlagAndEnvironment(t *testing.T) {
	e := cmdtest.New(t)
	envPath := e.StorePath
	flagPath := filepath.Join(t.TempDir(), "flag.yaml")
	create := []string{"dest", "create", "prod", "--env", "production", "--stream", "ld-events", "--role-arn", roleARN}
	if code := e.Run(Execute, append(create, "--config", flagPath)...); code != 0 {
		t.Fatalf("create with --config: %s", e.ErrOut)
	}
	if _, err := os.Stat(flagPath); err != nil {
		t.Errorf("--config was not used: %v", err)
	}
	if _, err := os.Stat(envPath); err == nil {
		t.Errorf("LDEXPORT_CONFIG was used although --config was given")
	}
	e.Reset()
	if code := e.Run(Execute, create...); code != 0 {
		t.Fatalf("create with LDEXPORT_CONFIG: %s", e.ErrOut)
	}
	if _, err := os.Stat(envPath); err != nil {
		t.Errorf("LDEXPORT_CONFIG was not used: %v", err)
	}
}

func TestRegionFromEnvironmentAndFlag(t *testing.T) {
	e := cmdtest.New(t)
	t.Setenv("AWS_REGION", "eu-west-1")
	if code := e.Run(Execute, "dest", "create", "a", "--env", "a", "--stream", "s", "--role-arn", roleARN); code != 0 {
		t.Fatal(e.ErrOut)
	}
	if code := e.Run(Execute, "dest", "create", "b", "--env", "b", "--stream", "s", "--role-arn", roleARN, "--region", "ap-south-1"); code != 0 {
		t.Fatal(e.ErrOut)
	}
	e.Reset()
	e.Run(Execute, "dest", "list", "-o", "json")
	for _, want := range []string{`"region": "eu-west-1"`, `"region": "ap-south-1"`} {
		if !strings.Contains(e.Out.String(), want) {
			t.Errorf("list lacks %s:\n%s", want, e.Out)
		}
	}
}

func TestEndpointURLFromEnvironmentIsStored(t *testing.T) {
	e := cmdtest.New(t)
	t.Setenv("LDEXPORT_ENDPOINT_URL", "http://127.0.0.1:4567")
	if code := e.Run(Execute, "dest", "create", "local", "--env", "dev", "--stream", "s", "--role-arn", roleARN, "-o", "json"); code != 0 {
		t.Fatal(e.ErrOut)
	}
	if !strings.Contains(e.Out.String(), `"endpointUrl": "http://127.0.0.1:4567"`) {
		t.Errorf("endpoint not stored:\n%s", e.Out)
	}
}

func TestNoColorFlag(t *testing.T) {
	e := cmdtest.New(t)
	e.IO.SetColorEnabled(true)
	e.Run(Execute, "dest", "list", "--no-color")
	if e.IO.ColorEnabled() {
		t.Error("--no-color left colour on")
	}
}

func TestOutputFormatsThroughTheTree(t *testing.T) {
	e := cmdtest.New(t)
	e.Seed(t, cmdtest.Destinations()...)
	for _, f := range []output.Format{output.JSON, output.YAML, output.Table} {
		e.Reset()
		if code := e.Run(Execute, "dest", "list", "-o", string(f)); code != 0 {
			t.Fatal(e.ErrOut)
		}
		golden.Assert(t, "testdata/dest/list."+map[output.Format]string{output.JSON: "json", output.YAML: "yaml", output.Table: "tsv"}[f], e.Out.Bytes())
	}
}

func TestCompletionScriptsAreCommitted(t *testing.T) {
	files := map[string]string{"bash": "ldexport.bash", "zsh": "ldexport.zsh", "fish": "ldexport.fish", "powershell": "ldexport.ps1"}
	for _, shell := range completion.Shells {
		e := cmdtest.New(t)
		if code := e.Run(Execute, "completion", shell); code != 0 {
			t.Fatalf("completion %s: %s", shell, e.ErrOut)
		}
		path := filepath.Join(golden.ModuleRoot(t), "completions", files[shell])
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run `make completions`)", err)
		}
		if !bytes.Equal(want, e.Out.Bytes()) {
			t.Errorf("completions/%s differs from `ldexport completion %s`: run `make completions`", files[shell], shell)
		}
	}
	e := cmdtest.New(t)
	if code := e.Run(Execute, "completion", "tcsh"); code != 2 {
		t.Errorf("unsupported shell: exit %d", code)
	}
}

func TestDestinationNamesComplete(t *testing.T) {
	e := cmdtest.New(t)
	e.Seed(t, cmdtest.Destinations()...)
	e.Run(Execute, "__complete", "dest", "show", "")
	for _, want := range []string{"prod\tdefault/production", "eu-staging\tmobile/staging"} {
		if !strings.Contains(e.Out.String(), want) {
			t.Errorf("completion lacks %q:\n%s", want, e.Out)
		}
	}
}

func TestVersionOutput(t *testing.T) {
	e := cmdtest.New(t)
	if code := e.Run(Execute, "version"); code != 0 {
		t.Fatal(e.ErrOut)
	}
	if got := e.Out.String(); got != "ldexport 1.2.3 (commit abc1234, built 2026-11-26T10:00:00Z)\n" {
		t.Errorf("version = %q", got)
	}
	e.Reset()
	e.Run(Execute, "version", "-o", "json")
	if !strings.Contains(e.Out.String(), `"version": "1.2.3"`) {
		t.Errorf("version json = %s", e.Out)
	}
}
