// Package worker reacts to domain events and runs periodic jobs: payments
// move orders along, paid orders reserve stock, delivered shipments close
// orders, and stale pending orders are cancelled.
package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"example.com/bench/shop/internal/app"
	"example.com/bench/shop/internal/domain/inventory"
	"example.com/bench/shop/internal/domain/order"
	"example.com/bench/shop/internal/domain/payment"
	"example.com/bench/shop/internal/domain/shipment"
	"example.com/bench/shop/internal/logging"
	"example.com/bench/shop/internal/resilience"
	"example.com/bench/shop/internal/store"
)

// Worker holds the services it acts on.
type Worker struct {
	a   *app.App
	log zerolog.Logger
	sem *resilience.Semaphore
	// PendingTTL is how long an order may stay pending before it is cancelled.
	PendingTTL time.Duration
}

// New returns a worker over a.
func New(a *app.App) *Worker {
	return &Worker{
		a:          a,
		log:        a.Log.With().Str("component", "worker").Logger(),
		sem:        resilience.NewSemaphore(a.Config.Worker.Concurrency),
		PendingTTL: 30 * time.Minute,
	}
}

// Run subscribes to events and runs the periodic jobs until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	var unsubs []func()
	defer func() {
		for _, u := range unsubs {
			u()
		}
	}()
	subs := []func() (func(), error){
		func() (func(), error) {
			return payment.Subscribe(w.a.Sub, "transitioned", job(w, "payment-status", w.onPayment))
		},
		func() (func(), error) {
			return order.Subscribe(w.a.Sub, "transitioned", job(w, "order-status", w.onOrder))
		},
		func() (func(), error) {
			return shipment.Subscribe(w.a.Sub, "transitioned", job(w, "shipment-status", w.onShipment))
		},
	}
	for _, s := range subs {
		u, err := s()
		if err != nil {
			return err
		}
		unsubs = append(unsubs, u)
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { w.a.Outbox.Run(ctx); return nil })
	g.Go(func() error {
		return w.every(ctx, w.a.Config.Worker.PollInterval*60, "cancel-stale-orders", w.cancelStale)
	})
	g.Go(func() error {
		return w.every(ctx, w.a.Config.Worker.PollInterval*300, "reorder-report", w.reorderReport)
	})
	return g.Wait()
}

// job wraps a handler with the concurrency bound, a timeout, metrics and
// logging.
func job[P any](w *Worker, kind string, fn func(context.Context, *P) error) func(context.Context, string, *P) error {
	return func(ctx context.Context, typ string, p *P) error {
		return w.sem.Do(ctx, 10*time.Second, func() error {
			start := time.Now()
			ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			ctx = logging.With(ctx, w.log.With().Str("job", kind).Str("event", typ).Logger())
			err := fn(ctx, p)
			w.a.Metrics.Job(kind, err, time.Since(start))
			return err
		})
	}
}

func (w *Worker) every(ctx context.Context, d time.Duration, kind string, fn func(context.Context) error) error {
	if d <= 0 {
		d = time.Minute
	}
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			start := time.Now()
			err := fn(ctx)
			w.a.Metrics.Job(kind, err, time.Since(start))
			if err != nil {
				w.log.Error().Err(err).Str("job", kind).Msg("periodic job failed")
			}
		}
	}
}

// onPayment moves the order when its payment is captured, or cancels it when
// the payment failed.
func (w *Worker) onPayment(ctx context.Context, p *payment.Payload) error {
	var to string
	switch p.Payment.Status {
	case payment.StateCaptured:
		to = order.StatePaid
	case payment.StateFailed, payment.StateVoided:
		to = order.StateCancelled
	default:
		return nil
	}
	_, err := resilience.Retry(ctx, 5, func(ctx context.Context) (*order.Order, error) {
		o, err := w.a.Services.Order.Transition(ctx, p.Payment.OrderID, to, 0)
		if errors.Is(err, order.ErrTransition) || errors.Is(err, store.ErrNotFound) {
			return nil, resilience.Permanent(err)
		}
		return o, err
	})
	return err
}

// onOrder reserves stock for paid orders and releases it for cancelled ones.
func (w *Worker) onOrder(ctx context.Context, p *order.Payload) error {
	var delta int64
	switch p.Order.Status {
	case order.StatePaid:
		delta = 1
	case order.StateCancelled, order.StateRefunded:
		if p.From == order.StatePending {
			return nil
		}
		delta = -1
	default:
		return nil
	}
	items, _, err := w.a.Services.Inventory.List(ctx, inventory.Filter{}, store.Sort{Field: "on_hand", Desc: true}, store.Page{Limit: 1})
	if err != nil || len(items) == 0 {
		return err
	}
	inv := items[0]
	reserved := inv.Reserved + delta
	if reserved < 0 || reserved > inv.OnHand {
		return fmt.Errorf("inventory %s: cannot reserve %d of %d on hand", inv.ID, reserved, inv.OnHand)
	}
	_, err = w.a.Services.Inventory.Update(ctx, inv.ID, inventory.UpdateInput{Reserved: &reserved}, inv.Version)
	return err
}

// onShipment marks the order delivered when its shipment is.
func (w *Worker) onShipment(ctx context.Context, p *shipment.Payload) error {
	if p.Shipment.Status != shipment.StateDelivered {
		return nil
	}
	_, err := w.a.Services.Order.Transition(ctx, p.Shipment.OrderID, order.StateDelivered, 0)
	if errors.Is(err, order.ErrTransition) {
		logging.From(ctx).Warn().Err(err).Msg("order not in a state to be delivered")
		return nil
	}
	return err
}

func (w *Worker) cancelStale(ctx context.Context) error {
	cutoff := time.Now().Add(-w.PendingTTL)
	f := order.Filter{Status: order.StatePending, CreatedBefore: cutoff}
	var errs []error
	for {
		items, _, err := w.a.Services.Order.List(ctx, f, store.Sort{Field: "created_at"}, store.Page{Limit: 100})
		if err != nil {
			return err
		}
		for _, o := range items {
			if _, err := w.a.Services.Order.Transition(ctx, o.ID, order.StateCancelled, o.Version); err != nil {
				errs = append(errs, err)
			}
		}
		if len(items) < 100 || len(errs) > 10 {
			break
		}
	}
	return errors.Join(errs...)
}

func (w *Worker) reorderReport(ctx context.Context) error {
	items, total, err := w.a.Services.Inventory.List(ctx, inventory.Filter{}, store.Sort{Field: "on_hand"}, store.Page{Limit: 500})
	if err != nil {
		return err
	}
	low := 0
	for _, it := range items {
		if it.OnHand-it.Reserved <= it.ReorderLevel {
			low++
			w.log.Info().Str("product_id", it.ProductID).Str("warehouse_id", it.WarehouseID).
				Int64("available", it.OnHand-it.Reserved).Msg("below reorder level")
		}
	}
	w.log.Info().Int("checked", len(items)).Int("total", total).Int("low", low).Msg("reorder report")
	return nil
}
