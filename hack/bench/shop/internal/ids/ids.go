// Package ids makes identifiers: sortable ULIDs for entities and events,
// random UUIDs for request and correlation ids.
package ids

import (
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/oklog/ulid/v2"
)

// Generator makes new identifiers.
type Generator interface {
	New() string
}

// ULID makes lexically sortable identifiers, monotonic within a millisecond.
type ULID struct {
	mu      sync.Mutex
	entropy *ulid.MonotonicEntropy
	prefix  string
}

// NewULID returns a generator whose identifiers start with prefix, such as
// "ord_".
func NewULID(prefix string) *ULID {
	return &ULID{entropy: ulid.Monotonic(rand.Reader, 0), prefix: prefix}
}

// New returns a new identifier.
func (g *ULID) New() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	id := ulid.MustNew(ulid.Timestamp(time.Now()), g.entropy)
	return g.prefix + strings.ToLower(id.String())
}

// UUID makes random (version 4) UUIDs.
type UUID struct{}

// New returns a new identifier.
func (UUID) New() string { return uuid.NewString() }

// ErrInvalid is returned for identifiers of the wrong form.
var ErrInvalid = errors.New("invalid identifier")

// Time returns the time encoded in a ULID made by a generator with prefix.
func Time(prefix, id string) (time.Time, error) {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok {
		return time.Time{}, ErrInvalid
	}
	u, err := ulid.ParseStrict(strings.ToUpper(rest))
	if err != nil {
		return time.Time{}, ErrInvalid
	}
	return ulid.Time(u.Time()), nil
}

// Valid reports whether id is a ULID with prefix.
func Valid(prefix, id string) bool {
	_, err := Time(prefix, id)
	return err == nil
}

// ValidUUID reports whether s is a UUID in its canonical form.
func ValidUUID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == strings.ToLower(s)
}

// Sequence is a deterministic generator for tests: prefix plus a counter.
type Sequence struct {
	mu     sync.Mutex
	prefix string
	n      int
}

// NewSequence returns a generator that yields prefix1, prefix2, ...
func NewSequence(prefix string) *Sequence { return &Sequence{prefix: prefix} }

// New returns the next identifier.
func (s *Sequence) New() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return s.prefix + itoa(s.n)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
