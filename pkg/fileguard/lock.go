package fileguard

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/gofrs/flock"
)

// Lock is an exclusive lock on a state file, held on the lock file PATH.lock
// next to the file PATH resolves to, so that every path to one file (through
// symbolic links) shares one lock. The lock file stays when the lock is
// released: removing it would let two processes lock two different files of
// the same name.
type Lock struct {
	fl    *flock.Flock
	path  string
	named bool // the lock file names this process
}

// Holder is who holds a lock, as the holder wrote it into the lock file.
type Holder struct {
	PID   int       `json:"pid"`
	Host  string    `json:"host"`
	Since time.Time `json:"since"`
}

func (h *Holder) String() string {
	return fmt.Sprintf("pid %d on %s, since %s", h.PID, h.Host, h.Since.UTC().Format(time.RFC3339))
}

// LockedError says another process holds a lock.
type LockedError struct {
	// Path is the lock file.
	Path string
	// Holder is nil when the holder did not say who it is (yet).
	Holder *Holder
}

func (e *LockedError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("locked by another process (%s)", e.Path)
	}
	return fmt.Sprintf("locked by another process: %s (%s)", e.Holder, e.Path)
}

// LockPath returns the lock file that guards the file at path.
func LockPath(path string) (string, error) {
	target, err := resolve(path)
	if err != nil {
		return "", err
	}
	return target + ".lock", nil
}

// TryLock takes the lock of the file at path without waiting; when another
// process holds it, the error is a *LockedError naming the holder if it can.
func TryLock(path string) (*Lock, error) {
	return lock(context.Background(), path, 0)
}

// LockContext takes the lock of the file at path, retrying every retry until
// ctx ends; then the error is a *LockedError naming the holder if it can.
func LockContext(ctx context.Context, path string, retry time.Duration) (*Lock, error) {
	return lock(ctx, path, retry)
}

func lock(ctx context.Context, path string, retry time.Duration) (*Lock, error) {
	lp, err := LockPath(path)
	if err != nil {
		return nil, err
	}
	fl := flock.New(lp, flock.SetPermissions(0o600))
	var ok bool
	if retry > 0 {
		ok, err = fl.TryLockContext(ctx, retry)
		if err != nil && ctx.Err() != nil {
			err = nil // timed out: report the holder below
		}
	} else {
		ok, err = fl.TryLock()
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", lp, err)
	}
	if !ok {
		return nil, &LockedError{Path: lp, Holder: readHolder(lp)}
	}
	l := &Lock{fl: fl, path: lp}
	// Only the holder writes the lock file, so this cannot race with another
	// writer. A file of that name that holds something else is left alone.
	if data, err := os.ReadFile(lp); err == nil && (len(data) == 0 || readHolder(lp) != nil) {
		host, _ := os.Hostname()
		h, _ := json.Marshal(Holder{PID: os.Getpid(), Host: host, Since: time.Now().UTC()})
		l.named = os.WriteFile(lp, append(h, '\n'), 0o600) == nil
	}
	return l, nil
}

// readHolder reads who holds the lock file lp; nil when it does not say.
func readHolder(lp string) *Holder {
	data, err := os.ReadFile(lp)
	if err != nil {
		return nil
	}
	var h Holder
	if json.Unmarshal(data, &h) != nil || h.PID == 0 {
		return nil
	}
	return &h
}

// Path returns the lock file's path.
func (l *Lock) Path() string { return l.path }

// Unlock empties the lock file (it names no holder any more) and releases
// the lock. Unlocking again does nothing.
func (l *Lock) Unlock() error {
	if l == nil || l.fl == nil {
		return nil
	}
	if l.named {
		_ = os.Truncate(l.path, 0)
	}
	err := l.fl.Unlock()
	l.fl = nil
	return err
}
