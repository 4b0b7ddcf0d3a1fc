package checkpoint

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func bind(t *testing.T, paths ...string) []Binding {
	t.Helper()
	var bs []Binding
	for _, p := range paths {
		b, err := Bind(p)
		if err != nil {
			t.Fatal(err)
		}
		bs = append(bs, b)
	}
	return bs
}

// TestSaveOpenRoundTrip saves progress with lines done out of order and
// checks that Open restores exactly the same done lines.
func TestSaveOpenRoundTrip(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.ndjson"), filepath.Join(dir, "b.ndjson")
	writeFile(t, a, "1\n2\n\n4\n5\n6\n")
	writeFile(t, b, "x\n")
	ck := filepath.Join(dir, "ck.json")
	names := []string{"a.ndjson", "b.ndjson"}
	c, err := Open(ck, "s", names, bind(t, a, b))
	if err != nil {
		t.Fatal(err)
	}
	if c.Resumed() {
		t.Fatal("a missing checkpoint file is not a resume")
	}
	c.MarkRecord(0, 2)
	c.MarkRecord(0, 1)
	c.MarkBlank(0, 3, 3)
	c.MarkRecord(0, 6)
	c.MarkRecord(1, 1)
	c.ReachedEnd(1, 1)
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(ck)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "ck.json?*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}

	r, err := Open(ck, "s", names, bind(t, a, b))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Resumed() {
		t.Fatal("not resumed")
	}
	want := map[int64]bool{1: true, 2: true, 3: true, 6: true}
	for n := int64(1); n <= 7; n++ {
		if r.Done(0, n) != want[n] {
			t.Errorf("a line %d: Done = %v, want %v", n, r.Done(0, n), want[n])
		}
	}
	if done, recs := r.FileComplete(1); !done || recs != 1 {
		t.Errorf("b: complete %v records %d, want true 1", done, recs)
	}
	if done, recs := r.FileComplete(0); done || recs != 3 {
		t.Errorf("a: complete %v records %d, want false 3", done, recs)
	}
	if r.SetComplete() {
		t.Error("SetComplete with lines of a not done")
	}
	r.MarkRecord(0, 4)
	r.MarkRecord(0, 5)
	r.ReachedEnd(0, 6)
	if !r.SetComplete() || r.Records() != 6 {
		t.Fatalf("SetComplete false or records %d, want 6", r.Records())
	}
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ck, "s", names, bind(t, a, b))
	if err != nil {
		t.Fatal(err)
	}
	if !again.Complete() {
		t.Fatal("complete run not recorded")
	}
}

// TestSaveReplacesAtomically checks that Save goes through a temporary file:
// a reader holding the old file keeps the old content whole.
func TestSaveReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.ndjson")
	writeFile(t, a, "1\n")
	ck := filepath.Join(dir, "ck.json")
	c, err := Open(ck, "s", []string{"a"}, bind(t, a))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	old, err := os.Open(ck)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	before, _ := os.Stat(ck)
	c.MarkRecord(0, 1)
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(ck)
	if os.SameFile(before, after) {
		t.Fatal("Save rewrote the file in place instead of renaming a new one over it")
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(old); err != nil {
		t.Fatal(err)
	}
	s, err := Parse(buf.Bytes())
	if err != nil || s.Files[0].Low != 0 {
		t.Fatalf("old file: %v, %+v", err, s)
	}
}

func TestSaveError(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.ndjson")
	writeFile(t, a, "1\n")
	c, err := Open(filepath.Join(dir, "no-such-dir", "ck.json"), "s", []string{"a"}, bind(t, a))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(); err == nil {
		t.Fatal("Save into a missing folder succeeded")
	}
}

// TestOpenMismatch changes one thing the checkpoint is bound to at a time.
func TestOpenMismatch(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, a, b string) (stream string, names, paths []string)
		want   string
	}{
		{"size", func(t *testing.T, a, b string) (string, []string, []string) {
			writeFile(t, a, "1\n2\n3\n")
			return "s", []string{"a", "b"}, []string{a, b}
		}, "a changed: 6 bytes, the checkpoint recorded 4"},
		{"modification time", func(t *testing.T, a, b string) (string, []string, []string) {
			if err := os.Chtimes(a, time.Now(), time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			return "s", []string{"a", "b"}, []string{a, b}
		}, "a changed: modified"},
		{"content of the same size and time", func(t *testing.T, a, b string) (string, []string, []string) {
			st, _ := os.Stat(a)
			writeFile(t, a, "9\n2\n")
			if err := os.Chtimes(a, st.ModTime(), st.ModTime()); err != nil {
				t.Fatal(err)
			}
			return "s", []string{"a", "b"}, []string{a, b}
		}, "a changed: the SHA-256 of its first MiB differs"},
		{"another file list", func(t *testing.T, a, b string) (string, []string, []string) {
			return "s", []string{"a"}, []string{a}
		}, "it was made for 2 input files, this command names 1"},
		{"another order", func(t *testing.T, a, b string) (string, []string, []string) {
			return "s", []string{"b", "a"}, []string{b, a}
		}, "input 1 is " /* + b's path */},
		{"another stream", func(t *testing.T, a, b string) (string, []string, []string) {
			return "other", []string{"a", "b"}, []string{a, b}
		}, `it was made for stream "s", this command sends to "other"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			writeFile(t, a, "1\n2\n")
			writeFile(t, b, "3\n")
			ck := filepath.Join(dir, "ck.json")
			c, err := Open(ck, "s", []string{"a", "b"}, bind(t, a, b))
			if err != nil {
				t.Fatal(err)
			}
			c.MarkRecord(0, 1)
			if err := c.Save(); err != nil {
				t.Fatal(err)
			}
			saved, _ := os.ReadFile(ck)
			stream, names, paths := tt.change(t, a, b)
			_, err = Open(ck, stream, names, bind(t, paths...))
			var ce *Error
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "checkpoint "+ck+": ") {
				t.Fatalf("error %v, want a checkpoint error containing %q", err, tt.want)
			}
			if now, _ := os.ReadFile(ck); !bytes.Equal(now, saved) {
				t.Fatal("the checkpoint file was changed")
			}
		})
	}
}

func TestOpenCorrupt(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	writeFile(t, a, "1\n")
	good, err := Open(filepath.Join(dir, "good.json"), "s", []string{"a"}, bind(t, a))
	if err != nil {
		t.Fatal(err)
	}
	valid, _ := good.State().Marshal()
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"empty", "", "not a checkpoint"},
		{"not JSON", "hello", "not a checkpoint"},
		{"truncated", string(valid[:len(valid)/2]), "not a checkpoint"},
		{"trailing data", string(valid) + "{}", "data after the JSON object"},
		{"unknown field", strings.Replace(string(valid), `"version"`, `"bogus": 1, "version"`, 1), "unknown field"},
		{"other version", strings.Replace(string(valid), `"version": 1`, `"version": 7`, 1), "format version 7"},
		{"no files", `{"version":1,"stream":"s","complete":false,"files":[]}`, "names no input file"},
		{"runs out of order", strings.Replace(string(valid), `"low": 0,`, `"low": 0, "done": [[5,6],[3,4]],`, 1), "not sorted"},
		{"run touching the mark", strings.Replace(string(valid), `"low": 0,`, `"low": 0, "done": [[1,1]],`, 1), "not sorted"},
		{"bad hash", strings.Replace(string(valid), `"sha256First1MiB": "`, `"sha256First1MiB": "zz`, 1), "not a SHA-256"},
		{"file complete but not done", strings.Replace(string(valid), `"complete": false
`, `"complete": true
`, 1), "complete, but not every line is done"},
		{"run complete but not its file", strings.Replace(string(valid), `"complete": false,`, `"complete": true,`, 1), "complete, but input 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ck := filepath.Join(t.TempDir(), "ck.json")
			writeFile(t, ck, tt.content)
			_, err := Open(ck, "s", []string{"a"}, bind(t, a))
			var ce *Error
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want a checkpoint error containing %q", err, tt.want)
			}
			if now, _ := os.ReadFile(ck); string(now) != tt.content {
				t.Fatal("the corrupt checkpoint file was changed")
			}
		})
	}
}

func TestBindRefusesNonRegular(t *testing.T) {
	if _, err := Bind(t.TempDir()); err == nil {
		t.Fatal("Bind of a folder succeeded")
	}
}

// TestBindHashesOnlyTheHead checks that the hash covers the first MiB: a
// change after it is seen by the size or time, not the hash.
func TestBindHashesOnlyTheHead(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	head := strings.Repeat("x", headSize)
	writeFile(t, a, head+"1")
	writeFile(t, b, head+"2")
	ba, bb := bind(t, a, b)[0], bind(t, a, b)[1]
	if ba.Head != bb.Head || ba.Size != bb.Size {
		t.Fatalf("heads differ: %s %s", ba.Head, bb.Head)
	}
	writeFile(t, b, "y"+head[1:]+"2")
	if bind(t, b)[0].Head == ba.Head {
		t.Fatal("a change in the first MiB does not change the hash")
	}
}
