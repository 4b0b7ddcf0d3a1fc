package testenv

import (
	"context"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
)

const importPath = "github.com/ldexport/ldexport/pkg/testenv"

func TestHostileEnvironmentCleared(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(garbage, []byte("[profile ghost\ngarbage = = =\n[[[\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hostile := map[string]string{
		"AWS_PROFILE":                 "ghost",
		"AWS_DEFAULT_REGION":          "eu-west-1",
		"AWS_REGION":                  "mars-1",
		"AWS_CONFIG_FILE":             garbage,
		"AWS_SHARED_CREDENTIALS_FILE": garbage,
		"AWS_ACCESS_KEY_ID":           "AKIAGHOST",
		"AWS_ENDPOINT_URL":            "http://127.0.0.1:1",
		"AWS_EC2_METADATA_DISABLED":   "false",
		"LDEXPORT_ENDPOINT_URL":       "http://127.0.0.1:1",
		"LDEXPORT_CONFIG":             garbage,
		"LAUNCHDARKLY_ACCESS_TOKEN":   "api-ghost",
		"LD_ACCESS_TOKEN":             "api-ghost",
		"LDEXPORT_TEST_CHILD":         "kept",
	}
	for k, v := range hostile {
		t.Setenv(k, v)
	}
	Hermetic()
	for k := range hostile {
		got, set := os.LookupEnv(k)
		switch want, pinned := Set[k]; {
		case pinned && got != want:
			t.Errorf("%s = %q, want %q", k, got, want)
		case k == "LDEXPORT_TEST_CHILD" && got != "kept":
			t.Errorf("%s = %q, want it kept", k, got)
		case !pinned && k != "LDEXPORT_TEST_CHILD" && set:
			t.Errorf("%s = %q survived", k, got)
		}
	}
	// The SDK now sees no profile, no region and no credentials file.
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatalf("LoadDefaultConfig after Hermetic: %v", err)
	}
	if cfg.Region != "" {
		t.Errorf("region %q leaked into the SDK", cfg.Region)
	}
}

// TestEveryTestPackageIsHermetic fails when a package of this module has
// tests but no _test.go file imports this package: its tests would read the
// developer's AWS environment.
func TestEveryTestPackageIsHermetic(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	hermetic := map[string]bool{} // package dir → some test file imports testenv
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.Dir(path)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		imports := hermetic[dir]
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == importPath {
				imports = true
			}
		}
		hermetic[dir] = imports || filepath.Base(dir) == "testenv"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for dir, ok := range hermetic {
		if !ok {
			rel, _ := filepath.Rel(root, dir)
			missing = append(missing, rel)
		}
	}
	sort.Strings(missing)
	if len(hermetic) < 10 {
		t.Errorf("found only %d test packages under %s", len(hermetic), root)
	}
	for _, dir := range missing {
		t.Errorf("%s: tests without `import _ %q` (add it to a _test.go file, e.g. hermetic_test.go)", dir, importPath)
	}
}
