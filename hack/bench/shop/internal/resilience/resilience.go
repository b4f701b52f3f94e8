// Package resilience limits request rates per client and retries calls to
// flaky dependencies.
package resilience

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Limiter keeps one token bucket per key (a client address or user id),
// for the most recently seen keys.
type Limiter struct {
	mu      sync.Mutex
	buckets *lru.Cache[string, *rate.Limiter]
	limit   rate.Limit
	burst   int
}

// NewLimiter allows perSecond requests per key with bursts of burst,
// remembering up to keys keys.
func NewLimiter(perSecond float64, burst, keys int) (*Limiter, error) {
	c, err := lru.New[string, *rate.Limiter](keys)
	if err != nil {
		return nil, err
	}
	return &Limiter{buckets: c, limit: rate.Limit(perSecond), burst: burst}, nil
}

// Allow reports whether key may make a request now, and if not, how long
// until it may.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l.limit == 0 {
		return true, 0
	}
	l.mu.Lock()
	b, ok := l.buckets.Get(key)
	if !ok {
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets.Add(key, b)
	}
	l.mu.Unlock()
	r := b.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return false, d
	}
	return true, 0
}

// Permanent marks an error that must not be retried.
func Permanent(err error) error { return backoff.Permanent(err) }

// Retry calls fn until it succeeds, returns a permanent error, tries times
// have failed, or ctx ends.
func Retry[T any](ctx context.Context, tries uint, fn func(context.Context) (T, error)) (T, error) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 50 * time.Millisecond
	b.MaxInterval = 2 * time.Second
	return backoff.Retry(ctx, func() (T, error) { return fn(ctx) },
		backoff.WithBackOff(b), backoff.WithMaxTries(tries), backoff.WithMaxElapsedTime(30*time.Second))
}

// ErrShed is returned when a Semaphore is full.
var ErrShed = errors.New("overloaded")

// Semaphore bounds concurrent work and sheds what does not fit.
type Semaphore struct{ ch chan struct{} }

// NewSemaphore allows n at a time.
func NewSemaphore(n int) *Semaphore { return &Semaphore{ch: make(chan struct{}, n)} }

// Do runs fn if a slot is free within wait, else returns ErrShed.
func (s *Semaphore) Do(ctx context.Context, wait time.Duration, fn func() error) error {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s.ch <- struct{}{}:
	case <-t.C:
		return ErrShed
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.ch }()
	return fn()
}
