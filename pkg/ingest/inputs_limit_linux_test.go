package ingest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestTooManyInputsSaysWhatToDo: past the open-files limit, the error names
// the file, the count, and the ways out, instead of the bare EMFILE.
func TestTooManyInputsSaysWhatToDo(t *testing.T) {
	dir := t.TempDir()
	files := make([]string, 80)
	for i := range files {
		files[i] = filepath.Join(dir, fmt.Sprintf("f%d.ndjson", i))
		writeFile(t, files[i], "{}\n")
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	// Room for what the test binary has open now plus a few files, not 80.
	open, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	low := lim
	low.Cur = uint64(len(open) + 10)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	in, err := openInputs(files, nil)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if err == nil {
		in.close()
		t.Fatal("80 inputs opened under a limit of", low.Cur)
	}
	msg := err.Error()
	var e *Error
	if !errors.As(err, &e) || e.Kind != BadInput || !strings.Contains(msg, "too many open files: send opens all 80 inputs") || !strings.Contains(msg, "ulimit -n") || !strings.HasPrefix(msg, dir) {
		t.Fatalf("error %q (%#v)", msg, err)
	}
}
