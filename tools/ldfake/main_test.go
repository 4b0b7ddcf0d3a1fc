package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestRunPrintsReadyAndStopsWhenStdinCloses(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(nil, strings.NewReader(""), &out, &errOut, make(chan os.Signal))
	if code != 0 || !strings.HasPrefix(out.String(), "ready http://127.0.0.1:") || !strings.Contains(errOut.String(), "0 requests, 0 off the spec") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}

func TestRunRejectsArguments(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"extra"}, strings.NewReader(""), &out, &errOut, make(chan os.Signal)); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
}
