// Package realtime pushes events to browsers over WebSockets: staff
// dashboards subscribe to event types and get each matching event as it is
// published.
package realtime

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"

	"example.com/bench/shop/internal/events"
)

const (
	writeWait  = 10 * time.Second
	pongWait   = 60 * time.Second
	pingPeriod = pongWait * 9 / 10
	maxMessage = 4096
	sendBuffer = 64
)

// Hub tracks connected clients and fans events out to them.
type Hub struct {
	mu       sync.RWMutex
	clients  map[*client]struct{}
	upgrader websocket.Upgrader
	log      zerolog.Logger
}

type client struct {
	conn     *websocket.Conn
	send     chan []byte
	mu       sync.Mutex
	patterns []string
}

// NewHub returns a hub that accepts connections from origins (all when
// empty).
func NewHub(log zerolog.Logger, origins []string) *Hub {
	allowed := map[string]bool{}
	for _, o := range origins {
		allowed[o] = true
	}
	return &Hub{
		clients: map[*client]struct{}{},
		log:     log,
		upgrader: websocket.Upgrader{
			ReadBufferSize:  1024,
			WriteBufferSize: 4096,
			CheckOrigin: func(r *http.Request) bool {
				return len(allowed) == 0 || allowed[r.Header.Get("Origin")]
			},
		},
	}
}

// Publish sends e to every client subscribed to its type; it implements
// events.Publisher so the hub can sit beside the bus.
func (h *Hub) Publish(_ context.Context, e events.Envelope) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.clients {
		if !c.wants(e.Type) {
			continue
		}
		select {
		case c.send <- b:
		default:
			h.log.Warn().Str("remote", c.conn.RemoteAddr().String()).Msg("websocket client too slow; dropping event")
		}
	}
	return nil
}

// Len returns the number of connected clients.
func (h *Hub) Len() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.clients)
}

func (c *client) wants(typ string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.patterns {
		if events.Match(p, typ) {
			return true
		}
	}
	return false
}

// ServeHTTP upgrades the connection. The client sends
// {"subscribe":["order.*","payment.captured"]} to choose events.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered
	}
	c := &client{conn: conn, send: make(chan []byte, sendBuffer)}
	h.mu.Lock()
	h.clients[c] = struct{}{}
	h.mu.Unlock()
	go h.writeLoop(c)
	h.readLoop(c)
}

func (h *Hub) remove(c *client) {
	h.mu.Lock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		close(c.send)
	}
	h.mu.Unlock()
}

func (h *Hub) readLoop(c *client) {
	defer func() {
		h.remove(c)
		_ = c.conn.Close()
	}()
	c.conn.SetReadLimit(maxMessage)
	_ = c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		_, msg, err := c.conn.ReadMessage()
		if err != nil {
			if websocket.IsUnexpectedCloseError(err, websocket.CloseGoingAway, websocket.CloseNormalClosure) {
				h.log.Debug().Err(err).Msg("websocket closed")
			}
			return
		}
		var req struct {
			Subscribe []string `json:"subscribe"`
		}
		if err := json.Unmarshal(msg, &req); err != nil || len(req.Subscribe) > 32 {
			_ = c.conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseUnsupportedData, "bad subscription"), time.Now().Add(writeWait))
			return
		}
		c.mu.Lock()
		c.patterns = req.Subscribe
		c.mu.Unlock()
	}
}

func (h *Hub) writeLoop(c *client) {
	ping := time.NewTicker(pingPeriod)
	defer func() {
		ping.Stop()
		_ = c.conn.Close()
	}()
	for {
		select {
		case msg, ok := <-c.send:
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if !ok {
				_ = c.conn.WriteMessage(websocket.CloseMessage, []byte{})
				return
			}
			if err := c.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
				return
			}
		case <-ping.C:
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}

// Fanout publishes to several publishers, returning the first error.
type Fanout []events.Publisher

// Publish sends e to each publisher.
func (f Fanout) Publish(ctx context.Context, e events.Envelope) error {
	var first error
	for _, p := range f {
		if err := p.Publish(ctx, e); err != nil && first == nil {
			first = err
		}
	}
	return first
}
