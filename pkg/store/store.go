// Package store keeps ldexport's destinations in a YAML file. Every update
// takes an exclusive file lock, re-reads the file, and replaces it atomically
// (temp file in the same folder, fsync, rename), so concurrent ldexport
// processes never lose each other's updates and a crash never leaves half a file.
// A store reached through a symbolic link is written to the link's target.
package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/ldexport/ldexport/pkg/fileguard"
	"go.yaml.in/yaml/v3"
)

// formatVersion is the version of the file format this build writes.
const formatVersion = 1

// Destination is one LaunchDarkly Data Export destination: where the events of
// one project environment go. JSON and YAML keys are the CLI contract's.
type Destination struct {
	Name        string    `json:"name" yaml:"name"`
	Project     string    `json:"project" yaml:"project"`
	Environment string    `json:"environment" yaml:"environment"`
	Region      string    `json:"region" yaml:"region"`
	StreamName  string    `json:"streamName" yaml:"streamName"`
	StreamARN   string    `json:"streamArn" yaml:"streamArn"`
	RoleARN     string    `json:"roleArn" yaml:"roleArn"`
	AccountID   string    `json:"accountId" yaml:"accountId"`
	ExternalID  string    `json:"externalId,omitempty" yaml:"externalId,omitempty"`
	KMSKeyARN   string    `json:"kmsKeyArn,omitempty" yaml:"kmsKeyArn,omitempty"`
	EndpointURL string    `json:"endpointUrl,omitempty" yaml:"endpointUrl,omitempty"`
	CreatedAt   time.Time `json:"createdAt" yaml:"createdAt"`
	// LaunchDarklyID and LaunchDarklyVersion link the destination to its
	// twin in LaunchDarkly (its _id and version), set by dest push and pull.
	LaunchDarklyID      string `json:"launchDarklyId,omitempty" yaml:"launchDarklyId,omitempty"`
	LaunchDarklyVersion int    `json:"launchDarklyVersion,omitempty" yaml:"launchDarklyVersion,omitempty"`
}

// File is the whole store as it is on disk.
type File struct {
	Version      int           `yaml:"version"`
	Destinations []Destination `yaml:"destinations"`
}

var nameRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`) })

// ValidateName checks a destination name against [A-Za-z0-9][A-Za-z0-9_.-]{0,63}.
func ValidateName(name string) error {
	if !nameRe().MatchString(name) {
		return fmt.Errorf("invalid destination name %q: want 1 to 64 characters of [A-Za-z0-9_.-], starting with a letter or digit", name)
	}
	return nil
}

// Errors the store returns; callers map them to exit codes.
var (
	ErrNotFound  = errors.New("destination not found")
	ErrExists    = errors.New("destination already exists")
	ErrEnvTaken  = errors.New("environment already has a destination")
	ErrLockTimer = errors.New("timed out waiting for the store's lock")
)

// ParseError is a store file that cannot be read as a store, or holds a
// value that is not valid (a hand edit). It is never overwritten.
type ParseError struct {
	Path string
	Line int // 1-based line of the bad value; 0 when unknown
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: invalid destination store: %v (fix the file by hand; ldexport will not overwrite it)", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: cannot parse the destination store: %v (fix or move the file; ldexport will not overwrite it)", e.Path, e.Err)
}
func (e *ParseError) Unwrap() error { return e.Err }

// Store is the destination store at one path.
type Store struct {
	path        string
	lockTimeout time.Duration
}

// New returns the store kept at path. Nothing is read or created until used.
func New(path string) *Store {
	return &Store{path: path, lockTimeout: 30 * time.Second}
}

// DefaultPath is <os.UserConfigDir()>/ldexport/config.yaml.
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the user config folder (set --config or LDEXPORT_CONFIG): %w", err)
	}
	return filepath.Join(dir, "ldexport", "config.yaml"), nil
}

// Path is where the store lives.
func (s *Store) Path() string { return s.path }

// Load reads the store. A missing file is an empty store. Reads take no lock:
// writers replace the file by rename, so a reader sees a whole old or new file.
func (s *Store) Load() (*File, error) {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return &File{Version: formatVersion}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	return s.parse(data)
}

func (s *Store) parse(data []byte) (*File, error) {
	var f File
	if len(bytes.TrimSpace(data)) == 0 {
		return &File{Version: formatVersion}, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, &ParseError{Path: s.path, Err: err}
	}
	if f.Version == 0 {
		return nil, &ParseError{Path: s.path, Err: errors.New("no format version field")}
	}
	if f.Version > formatVersion {
		return nil, &ParseError{Path: s.path, Err: fmt.Errorf("format version %d is newer than this ldexport understands (%d); upgrade ldexport", f.Version, formatVersion)}
	}
	if i, field, err := f.validate(); err != nil {
		return nil, &ParseError{Path: s.path, Line: line(data, i, field), Err: err}
	}
	return &f, nil
}

// Update locks the store, reads it, lets fn change it, and writes it back
// atomically with mode 0600 in a folder of mode 0700. If fn returns an error
// nothing is written.
func (s *Store) Update(fn func(*File) error) error {
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	// The lock sits next to the file the path resolves to, so a store reached
	// through different symbolic links still has one lock.
	ctx, cancel := context.WithTimeout(context.Background(), s.lockTimeout)
	defer cancel()
	lock, err := fileguard.LockContext(ctx, s.path, 10*time.Millisecond)
	if err != nil {
		var le *fileguard.LockedError
		switch {
		case errors.As(err, &le) && le.Holder != nil:
			return fmt.Errorf("%s (held by %s): %w", le.Path, le.Holder, ErrLockTimer)
		case errors.As(err, &le):
			return fmt.Errorf("%s: %w", le.Path, ErrLockTimer)
		}
		return err
	}
	defer func() { _ = lock.Unlock() }()

	f, err := s.Load()
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		return err
	}
	if _, _, err := f.validate(); err != nil {
		return err // nothing the next Load would refuse is ever written
	}
	data, err := encode(f)
	if err != nil {
		return err
	}
	// The temp file is created 0600; an existing file's mode would be copied to
	// it, so narrow the existing file first.
	if _, err := os.Stat(s.path); err == nil {
		_ = os.Chmod(s.path, 0o600)
	}
	// Through a symbolic link, the link's target is replaced and the link kept.
	if err := fileguard.WriteFile(s.path, data); err != nil {
		return fmt.Errorf("%s: %w", s.path, err)
	}
	return nil
}

// encode renders the store file at the current format version.
func encode(f *File) ([]byte, error) {
	f.Version = formatVersion
	var buf bytes.Buffer
	buf.WriteString("# ldexport destination store. Edit with `ldexport dest`; nothing secret is kept here.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// List returns the destinations sorted by name.
func (s *Store) List() ([]Destination, error) {
	f, err := s.Load()
	if err != nil {
		return nil, err
	}
	out := append([]Destination(nil), f.Destinations...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Get returns the destination called name, or ErrNotFound.
func (s *Store) Get(name string) (Destination, error) {
	f, err := s.Load()
	if err != nil {
		return Destination{}, err
	}
	for _, d := range f.Destinations {
		if d.Name == name {
			return d, nil
		}
	}
	return Destination{}, fmt.Errorf("%w: %q (see `ldexport dest list`)", ErrNotFound, name)
}

// Add stores a new destination. It fails with ErrExists for a taken name and
// ErrEnvTaken when the project environment already has a destination
// (LaunchDarkly allows one per environment).
func (s *Store) Add(d Destination) error {
	return s.Update(func(f *File) error {
		for _, e := range f.Destinations {
			if e.Name == d.Name {
				return fmt.Errorf("%w: %q", ErrExists, d.Name)
			}
			if e.Project == d.Project && e.Environment == d.Environment {
				return fmt.Errorf("%w: project %q environment %q is already exported by %q (LaunchDarkly allows one destination per environment)", ErrEnvTaken, d.Project, d.Environment, e.Name)
			}
		}
		f.Destinations = append(f.Destinations, d)
		return nil
	})
}

// Replace overwrites the stored destination with the same name.
func (s *Store) Replace(d Destination) error {
	return s.Update(func(f *File) error {
		for i := range f.Destinations {
			if f.Destinations[i].Name == d.Name {
				f.Destinations[i] = d
				return nil
			}
		}
		return fmt.Errorf("%w: %q", ErrNotFound, d.Name)
	})
}

// Link records the LaunchDarkly ID and version of the destination called
// name (an empty id unlinks it), changing nothing else.
func (s *Store) Link(name, id string, version int) error {
	return s.Update(func(f *File) error {
		for i := range f.Destinations {
			if f.Destinations[i].Name == name {
				f.Destinations[i].LaunchDarklyID, f.Destinations[i].LaunchDarklyVersion = id, version
				return nil
			}
		}
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	})
}

// Delete removes the destination called name, or returns ErrNotFound.
func (s *Store) Delete(name string) error {
	return s.Update(func(f *File) error {
		for i, d := range f.Destinations {
			if d.Name == name {
				f.Destinations = append(f.Destinations[:i], f.Destinations[i+1:]...)
				return nil
			}
		}
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	})
}
