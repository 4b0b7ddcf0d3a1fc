package sender

import (
	"bytes"
	"encoding/base64"
	"syscall"
	"testing"
)

// TestAppendBase64ReadsOnlySrc encodes inputs that end where a page that
// cannot be read begins, and that start where a page begins after one that
// cannot be read: the AVX2 steps' 32-byte loads must stay inside src, or
// the test dies of SIGSEGV.
func TestAppendBase64ReadsOnlySrc(t *testing.T) {
	page := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 3*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	for i := range mem {
		mem[i] = byte(i * 7)
	}
	if err := syscall.Mprotect(mem[:page], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mprotect(mem[2*page:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	usable := mem[page : 2*page]
	for _, avx2 := range base64Paths(t) {
		base64AVX2 = avx2
		for n := 0; n <= 200; n++ {
			for _, src := range [][]byte{usable[len(usable)-n:], usable[:n]} {
				got := appendBase64(nil, src)
				if want := base64.StdEncoding.AppendEncode(nil, src); !bytes.Equal(got, want) {
					t.Fatalf("AVX2 %v, %d bytes: got %q, want %q", avx2, n, got, want)
				}
			}
		}
	}
}
