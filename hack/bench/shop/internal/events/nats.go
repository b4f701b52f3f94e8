package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"
)

// NATS publishes events to subjects "<prefix>.<type>".
type NATS struct {
	nc     *nats.Conn
	prefix string
	queue  string
	log    zerolog.Logger
}

// DialNATS connects to url.
func DialNATS(url, name, prefix, queue string, log zerolog.Logger) (*NATS, error) {
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.Timeout(3*time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn().Err(err).Msg("nats disconnected")
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info().Str("url", c.ConnectedUrl()).Msg("nats reconnected")
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("nats %s: %w", url, err)
	}
	return &NATS{nc: nc, prefix: prefix, queue: queue, log: log}, nil
}

// Publish sends e, with its id in the Nats-Msg-Id header for de-duplication.
func (n *NATS) Publish(ctx context.Context, e Envelope) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	msg := nats.NewMsg(n.prefix + "." + e.Type)
	msg.Data = b
	msg.Header.Set(nats.MsgIdHdr, e.ID)
	msg.Header.Set("Shop-Source", e.Source)
	if err := n.nc.PublishMsg(msg); err != nil {
		return err
	}
	if deadline, ok := ctx.Deadline(); ok {
		return n.nc.FlushTimeout(time.Until(deadline))
	}
	return nil
}

// Subscribe delivers events whose type matches pattern to h, one queue
// member at a time.
func (n *NATS) Subscribe(pattern string, h Handler) (func(), error) {
	s, err := n.nc.QueueSubscribe(n.prefix+"."+pattern, n.queue, func(m *nats.Msg) {
		e, err := Decode(m.Data)
		if err != nil {
			n.log.Error().Err(err).Str("subject", m.Subject).Msg("dropping malformed event")
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := h(ctx, e); err != nil {
			n.log.Error().Err(err).Str("type", e.Type).Str("id", e.ID).Msg("event handler failed")
			if m.Reply != "" {
				_ = m.Respond([]byte(`{"ok":false}`))
			}
			return
		}
		if m.Reply != "" {
			_ = m.Respond([]byte(`{"ok":true}`))
		}
	})
	if err != nil {
		return nil, err
	}
	return func() { _ = s.Unsubscribe() }, nil
}

// Close drains the connection.
func (n *NATS) Close() error { return n.nc.Drain() }
