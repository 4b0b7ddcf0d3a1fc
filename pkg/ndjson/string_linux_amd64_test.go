//go:build !purego

package ndjson

import (
	"syscall"
	"testing"
)

// TestIndexSpecialAVX2PageEdges runs indexSpecialAVX2 on slices that start
// at the first byte of a page or end at the last, between pages that may
// not be read: a read past either end of the slice would crash the test.
func TestIndexSpecialAVX2PageEdges(t *testing.T) {
	requireAVX2(t)
	page := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 3*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skip("mmap:", err)
	}
	defer syscall.Munmap(mem)
	if err := syscall.Mprotect(mem[:page], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mprotect(mem[2*page:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	usable := mem[page : 2*page : 2*page]
	for n := 32; n <= page; n++ {
		if n > 300 && n%32 != 0 && n%32 != 1 && n%32 != 31 {
			continue
		}
		for _, data := range [][]byte{usable[:n:n], usable[page-n:]} {
			for i := range data {
				data[i] = 'z'
			}
			checkIndexSpecial(t, data) // none: every byte of data is read
			data[n-1] = '"'
			checkIndexSpecial(t, data)
			data[0] = '\\'
			checkIndexSpecial(t, data)
		}
	}
}
