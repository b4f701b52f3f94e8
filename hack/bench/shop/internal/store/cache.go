package store

import (
	"context"
	"errors"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// Cache keeps encoded values for a while.
type Cache interface {
	Get(ctx context.Context, key string) ([]byte, bool)
	Set(ctx context.Context, key string, val []byte, ttl time.Duration)
	Delete(ctx context.Context, keys ...string)
}

// Local is an in-process LRU cache with expiry.
type Local struct {
	lru *expirable.LRU[string, []byte]
}

// NewLocal returns a cache of up to size entries, each kept for at most ttl.
func NewLocal(size int, ttl time.Duration) *Local {
	return &Local{lru: expirable.NewLRU[string, []byte](size, nil, ttl)}
}

// Get returns the value for key.
func (l *Local) Get(_ context.Context, key string) ([]byte, bool) { return l.lru.Get(key) }

// Set stores val; the LRU's own expiry applies, ttl is ignored.
func (l *Local) Set(_ context.Context, key string, val []byte, _ time.Duration) { l.lru.Add(key, val) }

// Delete removes keys.
func (l *Local) Delete(_ context.Context, keys ...string) {
	for _, k := range keys {
		l.lru.Remove(k)
	}
}

// Redis is a cache shared by every replica.
type Redis struct {
	client *redis.Client
	prefix string
}

// NewRedis connects to addr.
func NewRedis(addr, password string, db int, prefix string) *Redis {
	return &Redis{
		client: redis.NewClient(&redis.Options{
			Addr:         addr,
			Password:     password,
			DB:           db,
			DialTimeout:  2 * time.Second,
			ReadTimeout:  500 * time.Millisecond,
			WriteTimeout: 500 * time.Millisecond,
			PoolSize:     20,
		}),
		prefix: prefix,
	}
}

// Ping checks the connection.
func (r *Redis) Ping(ctx context.Context) error { return r.client.Ping(ctx).Err() }

// Close closes the client.
func (r *Redis) Close() error { return r.client.Close() }

// Get returns the value for key; errors count as misses.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, bool) {
	b, err := r.client.Get(ctx, r.prefix+key).Bytes()
	if err != nil {
		return nil, false
	}
	return b, true
}

// Set stores val for ttl.
func (r *Redis) Set(ctx context.Context, key string, val []byte, ttl time.Duration) {
	_ = r.client.Set(ctx, r.prefix+key, val, ttl).Err()
}

// Delete removes keys.
func (r *Redis) Delete(ctx context.Context, keys ...string) {
	if len(keys) == 0 {
		return
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = r.prefix + k
	}
	_ = r.client.Del(ctx, full...).Err()
}

// Incr increments a counter that expires after ttl, for rate limits shared
// across replicas.
func (r *Redis) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	pipe := r.client.TxPipeline()
	incr := pipe.Incr(ctx, r.prefix+key)
	pipe.Expire(ctx, r.prefix+key, ttl)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, err
	}
	return incr.Val(), nil
}

// Tiered looks in a local cache first, then a shared one, and collapses
// concurrent loads of the same key.
type Tiered struct {
	local  Cache
	shared Cache
	group  singleflight.Group
	// Hit is called with the tier ("local", "shared", "miss").
	Hit func(tier string)
}

// NewTiered combines two caches; shared may be nil.
func NewTiered(local, shared Cache) *Tiered { return &Tiered{local: local, shared: shared} }

func (t *Tiered) hit(tier string) {
	if t.Hit != nil {
		t.Hit(tier)
	}
}

// Get looks in both tiers and fills the local one from the shared one.
func (t *Tiered) Get(ctx context.Context, key string) ([]byte, bool) {
	if v, ok := t.local.Get(ctx, key); ok {
		t.hit("local")
		return v, true
	}
	if t.shared != nil {
		if v, ok := t.shared.Get(ctx, key); ok {
			t.hit("shared")
			t.local.Set(ctx, key, v, 0)
			return v, true
		}
	}
	t.hit("miss")
	return nil, false
}

// Set writes both tiers.
func (t *Tiered) Set(ctx context.Context, key string, val []byte, ttl time.Duration) {
	t.local.Set(ctx, key, val, ttl)
	if t.shared != nil {
		t.shared.Set(ctx, key, val, ttl)
	}
}

// Delete removes keys from both tiers.
func (t *Tiered) Delete(ctx context.Context, keys ...string) {
	t.local.Delete(ctx, keys...)
	if t.shared != nil {
		t.shared.Delete(ctx, keys...)
	}
}

// Load returns the cached value for key or calls load once, however many
// callers ask at the same time, and caches its result for ttl.
func (t *Tiered) Load(ctx context.Context, key string, ttl time.Duration, load func(context.Context) ([]byte, error)) ([]byte, error) {
	if v, ok := t.Get(ctx, key); ok {
		return v, nil
	}
	v, err, _ := t.group.Do(key, func() (any, error) {
		b, err := load(ctx)
		if err != nil {
			return nil, err
		}
		t.Set(ctx, key, b, ttl)
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

// Nop caches nothing.
type Nop struct{}

// Get always misses.
func (Nop) Get(context.Context, string) ([]byte, bool) { return nil, false }

// Set does nothing.
func (Nop) Set(context.Context, string, []byte, time.Duration) {}

// Delete does nothing.
func (Nop) Delete(context.Context, ...string) {}
