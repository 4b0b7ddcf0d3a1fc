package root

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmd/completion"
	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/golden"
	"github.com/ldexport/ldexport/pkg/output"
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
		{"unknown command", []string{"bogus"}, 2, `unknown command "bogus" for "ldexport"`, true},
		{"unknown subcommand", []string{"dest", "bogus"}, 2, `unknown command "bogus" for "ldexport dest"`, true},
		{"unknown flag", []string{"dest", "list", "--bogus"}, 2, "unknown flag: --bogus", true},
		{"bad output format", []string{"dest", "list", "-o", "xml"}, 2, `invalid value "xml" for -o/--output`, true},
		{"missing argument", []string{"dest", "show"}, 2, "name the destination", true},
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
