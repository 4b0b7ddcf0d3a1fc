package ingest

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// input is one opened input.
type input struct {
	name  string
	r     io.Reader
	close func() error
	size  int64 // bytes of its lines; -1 when unknown (standard input, a pipe, gzip)
	// regular: a regular file, whose reads never wait for a writer.
	regular bool

	// Written by the reader, read for the summary.
	next      atomic.Int64 // the first line not accounted for; 0 before any
	done      atomic.Bool  // read to its end, or done by an earlier run
	gzipped   atomic.Bool
	invalidAt atomic.Int64 // the invalid line that stopped the run (OnInvalid fail)
	lastBad   atomic.Bool  // nothing but blank lines follows invalidAt: no line is unread
}

type inputs struct {
	list []*input
}

func (in *inputs) close() {
	for _, i := range in.list {
		if i.close != nil {
			_ = i.close()
		}
	}
}

// openInputs opens every file up front, so a typo fails before anything is
// sent; "-" (or no file at all) is stdin.
func openInputs(files []string, stdin io.Reader) (*inputs, error) {
	if len(files) == 0 {
		files = []string{"-"}
	}
	in := &inputs{}
	stdinUsed := false
	for _, name := range files {
		if name == "-" {
			if stdinUsed {
				in.close()
				return nil, badInputf("standard input (-) named twice")
			}
			stdinUsed = true
			in.list = append(in.list, &input{name: "-", r: stdin, size: -1})
			continue
		}
		if name == "" {
			in.close()
			return nil, badInputf("an input file name is empty: name a file, or - for standard input")
		}
		if st, err := os.Stat(name); err == nil && st.Mode()&fs.ModeNamedPipe != 0 {
			p := &namedPipe{name: name}
			in.list = append(in.list, &input{name: name, r: p, close: p.Close, size: -1})
			continue
		}
		fh, err := os.Open(name)
		if err != nil {
			in.close()
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				return nil, badInputf("%s: too many open files: send opens all %d inputs before it reads the first; raise the limit (ulimit -n), send fewer files at a time, or pipe them in (cat FILES | ldexport send -)", name, len(files))
			}
			return nil, badInput(err)
		}
		st, err := fh.Stat()
		if err != nil {
			_ = fh.Close()
			in.close()
			return nil, badInput(err)
		}
		if st.IsDir() {
			_ = fh.Close()
			in.close()
			return nil, badInputf("%s: is a directory", name)
		}
		size := int64(-1)
		if st.Mode().IsRegular() && !isGzip(fh) {
			size = st.Size()
		}
		in.list = append(in.list, &input{name: name, r: fh, close: fh.Close, size: size, regular: st.Mode().IsRegular()})
	}
	return in, nil
}

// namedPipe is a named pipe (FIFO) opened on its first read: opening one
// waits for a writer, and that wait must not keep an interrupt from ending
// the run (reading runs on a goroutine an interrupt abandons).
type namedPipe struct {
	name string
	once sync.Once
	mu   sync.Mutex // guards f and closed between the opener and Close
	f    *os.File
	err  error
	// closed: the run ended; a pipe opened after that is closed at once.
	closed bool
}

func (p *namedPipe) Read(b []byte) (int, error) {
	p.once.Do(func() {
		f, err := os.Open(p.name)
		p.mu.Lock()
		defer p.mu.Unlock()
		if err == nil && p.closed {
			_ = f.Close()
			f, err = nil, os.ErrClosed
		}
		p.f, p.err = f, err
	})
	if p.err != nil {
		return 0, p.err
	}
	return p.f.Read(b)
}

// Close closes the pipe if it was opened, and keeps it from being opened later.
func (p *namedPipe) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.f == nil {
		return nil
	}
	return p.f.Close()
}

// isGzip reports whether f starts with gzip's magic bytes, without moving
// its offset: a gzip file's size says nothing of the lines in it.
func isGzip(f *os.File) bool {
	var magic [2]byte
	n, _ := f.ReadAt(magic[:], 0)
	return n == 2 && magic == [2]byte{0x1f, 0x8b}
}

// totalSize is the sum of the input sizes, or -1 if any is unknown.
func (in *inputs) totalSize() int64 {
	var n int64
	for _, i := range in.list {
		if i.size < 0 {
			return -1
		}
		n += i.size
	}
	return n
}

// unread lists the inputs not read to their end; nil when all were.
// Inputs never opened start at line 1.
func (in *inputs) unread() []Unread {
	var u []Unread
	for _, src := range in.list {
		if src.done.Load() || src.lastBad.Load() {
			continue
		}
		u = append(u, Unread{File: src.name, FromLine: max(src.next.Load(), 1)})
	}
	return u
}

// resume lists where sending each input must start again: first the inputs
// whose only line left is the invalid one that stopped the run, then the
// unread ones, in order.
func (in *inputs) resume(unread []Unread) []Resume {
	var r []Resume
	for _, src := range in.list {
		if src.lastBad.Load() {
			r = append(r, Resume{File: src.name, FromLine: src.invalidAt.Load(), FixFirst: true, Gzipped: src.gzipped.Load()})
		}
	}
	byName := map[string]*input{}
	for _, src := range in.list {
		byName[src.name] = src
	}
	for _, u := range unread {
		src := byName[u.File]
		res := Resume{File: u.File, FromLine: u.FromLine, Gzipped: src.gzipped.Load()}
		if bad := src.invalidAt.Load(); bad > 0 {
			res.FromLine, res.FixFirst = bad, true
		}
		r = append(r, res)
	}
	return r
}
