// Package checkpoint records which lines of which input files a run of
// `ldexport send` has finished, so that an interrupted run can resume
// without losing or resending a line.
//
// A line is done when Kinesis acknowledged it, when it was written to the
// reject file, or when it is blank. Per input file the checkpoint keeps a
// low-water mark (every line up to it is done) and the runs of done lines
// above it (see Lines), and it is bound to its inputs: each file's path,
// size, modification time and the SHA-256 of its first MiB. Open refuses a
// checkpoint whose inputs differ and a file that is not a checkpoint;
// Save writes it atomically (temporary file, fsync, rename, then an fsync
// of the folder; through a symbolic link, to the link's target).
package checkpoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ldexport/ldexport/pkg/fileguard"
)

// formatVersion is the format version written by Save.
const formatVersion = 1

// headSize is how much of each input's beginning is hashed into its Binding.
const headSize = 1 << 20

// Binding identifies one input file.
type Binding struct {
	// Path is the absolute path.
	Path string `json:"path"`
	// Size is the size in bytes (of the file as stored: compressed for gzip).
	Size int64 `json:"size"`
	// ModTime is the modification time.
	ModTime time.Time `json:"modTime"`
	// Head is the SHA-256 in hex of the first headSize bytes.
	Head string `json:"sha256First1MiB"`
}

// Bind reads the Binding of the file at path.
func Bind(path string) (Binding, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Binding{}, err
	}
	f, err := os.Open(abs)
	if err != nil {
		return Binding{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Binding{}, err
	}
	if !st.Mode().IsRegular() {
		return Binding{}, fmt.Errorf("%s: not a regular file: a checkpoint needs files it can read again", path)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, headSize)); err != nil {
		return Binding{}, err
	}
	return Binding{Path: abs, Size: st.Size(), ModTime: st.ModTime().UTC(), Head: hex.EncodeToString(h.Sum(nil))}, nil
}

// FileState is one input's progress as stored.
type FileState struct {
	Binding
	// Low is the low-water mark: lines 1..Low are done.
	Low int64 `json:"low"`
	// Done holds the runs of done lines above Low, as [from, to] pairs.
	Done [][2]int64 `json:"done,omitempty"`
	// Records counts the non-blank lines done.
	Records int64 `json:"records"`
	// Lines is the file's line count once it was read to its end; absent before.
	Lines *int64 `json:"lines,omitempty"`
	// Complete says every line of the file is done.
	Complete bool `json:"complete"`
}

// State is a checkpoint file's content.
type State struct {
	Version int `json:"version"`
	// Stream is the stream the lines were sent to.
	Stream string `json:"stream"`
	// Complete says the run that wrote it finished every input.
	Complete bool        `json:"complete"`
	Files    []FileState `json:"files"`
	// Updated is when the state was written.
	Updated time.Time `json:"updated"`
}

// Parse decodes and checks a checkpoint file's content.
func Parse(data []byte) (*State, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s State
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("not a checkpoint: %v", err)
	}
	if dec.More() {
		return nil, errors.New("not a checkpoint: data after the JSON object")
	}
	if s.Version != formatVersion {
		return nil, fmt.Errorf("checkpoint format version %d, this ldexport reads version %d", s.Version, formatVersion)
	}
	if len(s.Files) == 0 {
		return nil, errors.New("checkpoint names no input file")
	}
	for i, f := range s.Files {
		if err := f.check(); err != nil {
			return nil, fmt.Errorf("input %d (%s): %v", i+1, f.Path, err)
		}
		if s.Complete && !f.Complete {
			return nil, fmt.Errorf("complete, but input %d (%s) is not", i+1, f.Path)
		}
	}
	return &s, nil
}

func (f *FileState) check() error {
	switch {
	case f.Path == "" || !filepath.IsAbs(f.Path):
		return errors.New("path missing or not absolute")
	case f.Size < 0:
		return errors.New("negative size")
	case len(f.Head) != 64 || !isHex(f.Head):
		return errors.New("sha256First1MiB is not a SHA-256 in hex")
	case f.Low < 0 || f.Records < 0 || f.Lines != nil && *f.Lines < 0:
		return errors.New("negative line count")
	case f.Low > maxLine || f.Lines != nil && *f.Lines > maxLine:
		return errors.New("line number out of range")
	case f.Lines != nil && f.Low > *f.Lines:
		return errors.New("low-water mark beyond the last line")
	case f.Complete != (f.Lines != nil && f.Low == *f.Lines && len(f.Done) == 0):
		return errors.New("complete, but not every line is done, or the other way round")
	}
	prev := f.Low + 1
	for _, r := range f.Done {
		if r[1] > maxLine {
			return errors.New("line number out of range")
		}
		if r[0] <= prev || r[1] < r[0] {
			return fmt.Errorf("done runs not sorted, disjoint and above the low-water mark + 1 at [%d, %d]", r[0], r[1])
		}
		if f.Lines != nil && r[1] > *f.Lines {
			return fmt.Errorf("done run [%d, %d] beyond the last line %d", r[0], r[1], *f.Lines)
		}
		prev = r[1] + 1
	}
	if f.Records > f.Low+doneCount(f.Done) {
		return errors.New("more records done than lines done")
	}
	return nil
}

// maxLine bounds line numbers, so that no arithmetic on them overflows.
const maxLine = 1 << 62

// doneCount counts the lines in runs that check found sorted and disjoint;
// it saturates instead of overflowing.
func doneCount(runs [][2]int64) int64 {
	var n int64
	for _, r := range runs {
		d := r[1] - r[0] + 1
		if d <= 0 || n+d < n {
			return 1<<63 - 1
		}
		n += d
	}
	return n
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Marshal encodes s as Parse reads it.
func (s *State) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Checkpoint is the progress of one run, safe for concurrent use: the
// reader marks blank and rejected lines, the sender acknowledged records,
// and a timer saves it.
type Checkpoint struct {
	path string

	mu       sync.Mutex
	stream   string
	files    []*fileProgress
	complete bool
	resumed  bool
}

type fileProgress struct {
	Binding
	lines   Lines
	records int64
	total   int64 // line count once read to the end
	end     bool  // read to the end: total is known
}

// Error is a checkpoint that cannot be used: corrupt, or bound to other inputs.
type Error struct {
	Path string // the checkpoint file
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("checkpoint %s: %s", e.Path, e.Msg) }

// Open loads the checkpoint at path for a run that sends inputs (their
// Bindings, in order, with the names the user gave) to stream, or starts an
// empty one when path does not exist. A checkpoint that cannot be parsed or
// whose stream or inputs differ is an *Error; the file is left as it is.
func Open(path, stream string, names []string, inputs []Binding) (*Checkpoint, error) {
	c := &Checkpoint{path: path, stream: stream}
	for _, b := range inputs {
		c.files = append(c.files, &fileProgress{Binding: b})
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, &Error{path, err.Error()}
	}
	s, err := Parse(data)
	if err != nil {
		return nil, &Error{path, err.Error() + " (the file is left as it is)"}
	}
	if s.Stream != stream {
		return nil, &Error{path, fmt.Sprintf("it was made for stream %q, this command sends to %q", s.Stream, stream)}
	}
	if len(s.Files) != len(inputs) {
		return nil, &Error{path, fmt.Sprintf("it was made for %d input files, this command names %d", len(s.Files), len(inputs))}
	}
	for i, f := range s.Files {
		b, name := inputs[i], names[i]
		switch {
		case f.Path != b.Path:
			return nil, &Error{path, fmt.Sprintf("input %d is %s, the checkpoint was made for %s", i+1, b.Path, f.Path)}
		case f.Size != b.Size:
			return nil, &Error{path, fmt.Sprintf("%s changed: %d bytes, the checkpoint recorded %d", name, b.Size, f.Size)}
		case !f.ModTime.Equal(b.ModTime):
			return nil, &Error{path, fmt.Sprintf("%s changed: modified %s, the checkpoint recorded %s", name, b.ModTime.Format(time.RFC3339Nano), f.ModTime.Format(time.RFC3339Nano))}
		case f.Head != b.Head:
			return nil, &Error{path, fmt.Sprintf("%s changed: the SHA-256 of its first MiB differs from the checkpoint's", name)}
		}
		p := c.files[i]
		p.lines.low = f.Low
		for _, r := range f.Done {
			p.lines.runs = append(p.lines.runs, Run{r[0], r[1]})
		}
		p.records = f.Records
		if f.Lines != nil {
			p.total, p.end = *f.Lines, true
		}
	}
	c.complete, c.resumed = s.Complete, true
	return c, nil
}

// Path returns the checkpoint file's path.
func (c *Checkpoint) Path() string { return c.path }

// Resumed reports whether Open loaded an existing checkpoint.
func (c *Checkpoint) Resumed() bool { return c.resumed }

// Done reports whether line n of input i is done.
func (c *Checkpoint) Done(i int, n int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.files[i].lines.Has(n)
}

// MarkRecord marks line n of input i, a record, as done.
func (c *Checkpoint) MarkRecord(i int, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.files[i]
	f.records += f.lines.Add(n, n)
}

// MarkBlank marks lines from..to of input i, blank lines, as done.
func (c *Checkpoint) MarkBlank(i int, from, to int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.files[i].lines.Add(from, to)
}

// ReachedEnd records that input i has lines lines in all.
func (c *Checkpoint) ReachedEnd(i int, lines int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.files[i].total, c.files[i].end = lines, true
}

// FileComplete reports whether every line of input i is done, and how many
// records (non-blank lines) are done.
func (c *Checkpoint) FileComplete(i int) (bool, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.files[i]
	return f.complete(), f.records
}

func (f *fileProgress) complete() bool {
	return f.end && f.lines.low == f.total && len(f.lines.runs) == 0
}

// Complete reports whether the checkpoint records a finished run.
func (c *Checkpoint) Complete() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.complete
}

// SetComplete records that the run finished, if every input is complete,
// and reports whether it did.
func (c *Checkpoint) SetComplete() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.files {
		if !f.complete() {
			return false
		}
	}
	c.complete = true
	return true
}

// Records returns how many records (non-blank lines) of all inputs are done.
func (c *Checkpoint) Records() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, f := range c.files {
		n += f.records
	}
	return n
}

// State returns a copy of the progress as it would be saved.
func (c *Checkpoint) State() *State {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &State{Version: formatVersion, Stream: c.stream, Complete: c.complete, Updated: time.Now().UTC()}
	for _, f := range c.files {
		fs := FileState{Binding: f.Binding, Low: f.lines.low, Records: f.records, Complete: f.complete()}
		if f.end {
			fs.Lines = new(f.total)
		}
		for _, r := range f.lines.runs {
			fs.Done = append(fs.Done, [2]int64{r.From, r.To})
		}
		s.Files = append(s.Files, fs)
	}
	return s
}

// Save writes the progress to the checkpoint file atomically: a temporary
// file in the same folder, fsync, rename over the old one, fsync of the
// folder. A checkpoint path that is a symbolic link keeps it: the link's
// target is replaced. A failed Save leaves the previous checkpoint whole.
func (c *Checkpoint) Save() error { return c.SaveState(c.State()) }

// SaveState writes s, a State taken earlier, as Save does. A caller that
// must make something else durable before the checkpoint counts it (such as
// a reject file) takes the State first, then syncs, then saves it.
func (c *Checkpoint) SaveState(s *State) error {
	data, err := s.Marshal()
	if err != nil {
		return err
	}
	return fileguard.WriteFile(c.path, data)
}
