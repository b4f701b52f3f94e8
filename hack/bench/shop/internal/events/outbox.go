package events

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/sony/gobreaker/v2"
)

// Outbox buffers events and relays them to a publisher with retries and a
// circuit breaker, so a slow bus does not fail the requests that made them.
type Outbox struct {
	pub     Publisher
	breaker *gobreaker.CircuitBreaker[struct{}]
	mu      sync.Mutex
	pending []Envelope
	notify  chan struct{}
	// MaxTries bounds the retries of one event; 0 means 8.
	MaxTries uint
	// Failed is called with events given up on.
	Failed func(Envelope, error)
}

// NewOutbox wraps pub.
func NewOutbox(name string, pub Publisher, onState func(name string, to gobreaker.State)) *Outbox {
	st := gobreaker.Settings{
		Name:        name,
		MaxRequests: 3,
		Interval:    time.Minute,
		Timeout:     15 * time.Second,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.Requests >= 10 && float64(c.TotalFailures)/float64(c.Requests) >= 0.5
		},
	}
	if onState != nil {
		st.OnStateChange = func(name string, _, to gobreaker.State) { onState(name, to) }
	}
	return &Outbox{
		pub:     pub,
		breaker: gobreaker.NewCircuitBreaker[struct{}](st),
		notify:  make(chan struct{}, 1),
	}
}

// Publish queues e; it never blocks on the bus.
func (o *Outbox) Publish(_ context.Context, e Envelope) error {
	o.mu.Lock()
	o.pending = append(o.pending, e)
	o.mu.Unlock()
	select {
	case o.notify <- struct{}{}:
	default:
	}
	return nil
}

// Len returns the number of queued events.
func (o *Outbox) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.pending)
}

// Run relays queued events until ctx ends, then tries once more to flush.
func (o *Outbox) Run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			o.flush(flushCtx)
			cancel()
			return
		case <-o.notify:
		case <-tick.C:
		}
		o.flush(ctx)
	}
}

func (o *Outbox) flush(ctx context.Context) {
	o.mu.Lock()
	batch := o.pending
	o.pending = nil
	o.mu.Unlock()
	for i, e := range batch {
		if err := o.send(ctx, e); err != nil {
			if errors.Is(err, gobreaker.ErrOpenState) || ctx.Err() != nil {
				o.mu.Lock()
				o.pending = append(append([]Envelope(nil), batch[i:]...), o.pending...)
				o.mu.Unlock()
				return
			}
			if o.Failed != nil {
				o.Failed(e, err)
			}
		}
	}
}

func (o *Outbox) send(ctx context.Context, e Envelope) error {
	tries := o.MaxTries
	if tries == 0 {
		tries = 8
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 100 * time.Millisecond
	b.MaxInterval = 5 * time.Second
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		return o.breaker.Execute(func() (struct{}, error) {
			return struct{}{}, o.pub.Publish(ctx, e)
		})
	}, backoff.WithBackOff(b), backoff.WithMaxTries(tries))
	return err
}
