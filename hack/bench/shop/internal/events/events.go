// Package events carries domain events between the API and the worker:
// an envelope, publishers (NATS or in-process) and subscriptions.
package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"example.com/bench/shop/internal/ids"
)

// Envelope wraps every event.
type Envelope struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Source   string          `json:"source"`
	Subject  string          `json:"subject"`
	Time     time.Time       `json:"time"`
	Revision string          `json:"revision,omitempty"`
	Data     json.RawMessage `json:"data"`
}

var envelopeIDs = ids.NewULID("evt_")

// New wraps data as an event of type typ about subject.
func New(typ, source, subject, revision string, at time.Time, data any) (Envelope, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return Envelope{}, fmt.Errorf("event %s: %w", typ, err)
	}
	return Envelope{
		ID:       envelopeIDs.New(),
		Type:     typ,
		Source:   source,
		Subject:  subject,
		Time:     at.UTC(),
		Revision: revision,
		Data:     b,
	}, nil
}

// Decode reads an envelope and checks its required fields.
func Decode(b []byte) (Envelope, error) {
	if !gjson.ValidBytes(b) {
		return Envelope{}, errors.New("event: not JSON")
	}
	for _, f := range []string{"id", "type", "source", "time"} {
		if !gjson.GetBytes(b, f).Exists() {
			return Envelope{}, fmt.Errorf("event: missing %q", f)
		}
	}
	var e Envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return Envelope{}, fmt.Errorf("event: %w", err)
	}
	return e, nil
}

// Field reads one value from the event's data by gjson path.
func (e Envelope) Field(path string) gjson.Result { return gjson.GetBytes(e.Data, path) }

// Domain returns the part of the type before the first dot ("order").
func (e Envelope) Domain() string {
	d, _, _ := strings.Cut(e.Type, ".")
	return d
}

// Publisher sends events.
type Publisher interface {
	Publish(ctx context.Context, e Envelope) error
}

// Handler handles one event.
type Handler func(ctx context.Context, e Envelope) error

// Subscriber delivers events to handlers.
type Subscriber interface {
	Subscribe(pattern string, h Handler) (unsubscribe func(), err error)
}

// Memory is an in-process bus: Publish calls the matching handlers in turn.
type Memory struct {
	mu       sync.RWMutex
	handlers map[int]sub
	next     int
	// Published keeps every event when Record is set (for tests and replay).
	Record    bool
	Published []Envelope
}

type sub struct {
	pattern string
	h       Handler
}

// NewMemory returns an empty bus.
func NewMemory() *Memory { return &Memory{handlers: map[int]sub{}} }

// Publish delivers e to every handler whose pattern matches its type.
func (m *Memory) Publish(ctx context.Context, e Envelope) error {
	m.mu.Lock()
	if m.Record {
		m.Published = append(m.Published, e)
	}
	subs := make([]sub, 0, len(m.handlers))
	for _, s := range m.handlers {
		subs = append(subs, s)
	}
	m.mu.Unlock()
	var errs []error
	for _, s := range subs {
		if Match(s.pattern, e.Type) {
			if err := s.h(ctx, e); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", e.Type, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Subscribe registers h for event types matching pattern.
func (m *Memory) Subscribe(pattern string, h Handler) (func(), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := m.next
	m.next++
	m.handlers[id] = sub{pattern, h}
	return func() {
		m.mu.Lock()
		delete(m.handlers, id)
		m.mu.Unlock()
	}, nil
}

// Match reports whether typ matches pattern: dot-separated tokens where "*"
// matches one token and a final ">" matches the rest (NATS wildcards).
func Match(pattern, typ string) bool {
	p := strings.Split(pattern, ".")
	t := strings.Split(typ, ".")
	for i, tok := range p {
		if tok == ">" {
			return i < len(t)
		}
		if i >= len(t) || (tok != "*" && tok != t[i]) {
			return false
		}
	}
	return len(p) == len(t)
}
