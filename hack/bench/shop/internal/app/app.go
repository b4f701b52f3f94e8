// Package app builds the service from its configuration: the stores, the
// event bus, the domain services and the HTTP router. Both binaries use it.
package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/cors"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"github.com/sony/gobreaker/v2"

	"example.com/bench/shop/internal/auth"
	"example.com/bench/shop/internal/buildinfo"
	"example.com/bench/shop/internal/clock"
	"example.com/bench/shop/internal/config"
	"example.com/bench/shop/internal/events"
	"example.com/bench/shop/internal/httpx"
	"example.com/bench/shop/internal/metrics"
	"example.com/bench/shop/internal/realtime"
	"example.com/bench/shop/internal/resilience"
	"example.com/bench/shop/internal/store"
)

// APIVersion is the version of the HTTP API (not of the binary).
const APIVersion = "1.4.0"

// App is the assembled service.
type App struct {
	Config   config.Config
	Log      zerolog.Logger
	Metrics  *metrics.Metrics
	Pool     *pgxpool.Pool // nil: in memory
	Redis    *store.Redis  // nil: local cache only
	Cache    *store.Tiered
	Bus      events.Publisher
	Sub      events.Subscriber
	Outbox   *events.Outbox
	Hub      *realtime.Hub
	Services *Services
	Issuer   *auth.Issuer

	closers []func() error
}

// New connects what cfg names and builds the services. name is the binary's
// name, for metrics and connection names.
func New(ctx context.Context, name string, cfg config.Config, log zerolog.Logger) (*App, error) {
	a := &App{Config: cfg, Log: log, Metrics: metrics.New(cfg.Name)}
	var db store.DB
	if cfg.Postgres.URL != "" {
		pool, err := store.Open(ctx, cfg.Postgres.URL, cfg.Postgres.MaxConns)
		if err != nil {
			return nil, err
		}
		a.Pool, db = pool, pool
		a.closers = append(a.closers, func() error { pool.Close(); return nil })
	}
	var shared store.Cache
	if cfg.Redis.Addr != "" {
		r := store.NewRedis(cfg.Redis.Addr, cfg.Redis.Password, cfg.Redis.DB, cfg.Name+":")
		if err := r.Ping(ctx); err != nil {
			log.Warn().Err(err).Str("addr", cfg.Redis.Addr).Msg("redis unavailable; caching locally only")
		} else {
			a.Redis, shared = r, r
			a.closers = append(a.closers, r.Close)
		}
	}
	a.Cache = store.NewTiered(store.NewLocal(10000, cfg.Redis.TTL), shared)
	a.Cache.Hit = func(tier string) { a.Metrics.CacheHits.WithLabelValues(tier, hitOrMiss(tier)).Inc() }

	if cfg.NATS.URL != "" {
		n, err := events.DialNATS(cfg.NATS.URL, cfg.Name+"-"+name, cfg.NATS.Subject, cfg.NATS.Queue, log)
		if err != nil {
			a.Close()
			return nil, err
		}
		a.Bus, a.Sub = n, n
		a.closers = append(a.closers, n.Close)
	} else {
		m := events.NewMemory()
		a.Bus, a.Sub = m, m
	}
	a.Outbox = events.NewOutbox(cfg.Name+"-events", a.Bus, func(name string, to gobreaker.State) {
		a.Metrics.BreakerState.WithLabelValues(name).Set(float64(to))
		log.Warn().Str("breaker", name).Str("state", to.String()).Msg("circuit breaker changed state")
	})
	a.Outbox.MaxTries = cfg.Worker.MaxAttempts
	a.Outbox.Failed = func(e events.Envelope, err error) {
		a.Metrics.Events.WithLabelValues(e.Type, "dropped").Inc()
		log.Error().Err(err).Str("type", e.Type).Str("id", e.ID).Msg("giving up on event")
	}
	a.Hub = realtime.NewHub(log, cfg.HTTP.CORSOrigins)
	a.Services = NewServices(db, a.Cache, realtime.Fanout{a.Outbox, a.Hub}, clock.System{})

	if cfg.Auth.Secret != "" {
		iss, err := auth.NewIssuer(cfg.Auth.Secret, cfg.Auth.Issuer, cfg.Auth.TokenTTL)
		if err != nil {
			a.Close()
			return nil, err
		}
		a.Issuer = iss
	}
	return a, nil
}

func hitOrMiss(tier string) string {
	if tier == "miss" {
		return "miss"
	}
	return "hit"
}

// Close releases the connections, newest first.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	a.closers = nil
	return errors.Join(errs...)
}

// Router returns the API's handler.
func (a *App) Router(name string) (http.Handler, error) {
	limiter, err := resilience.NewLimiter(a.Config.HTTP.RatePerSecond, a.Config.HTTP.RateBurst, 50000)
	if err != nil {
		return nil, err
	}
	httpx.MaxBody = a.Config.HTTP.MaxBodyBytes
	r := chi.NewRouter()
	r.Use(middleware.RealIP)
	r.Use(httpx.RequestID(a.Log))
	r.Use(middleware.Recoverer)
	r.Use(httpx.AccessLog(a.Metrics))
	r.Use(cors.Handler(cors.Options{
		AllowedOrigins:   a.Config.HTTP.CORSOrigins,
		AllowedMethods:   []string{"GET", "POST", "PATCH", "DELETE", "OPTIONS"},
		AllowedHeaders:   []string{"Authorization", "Content-Type", "If-Match", "Accept-Version", "X-Request-Id"},
		ExposedHeaders:   []string{"ETag", "Location", "X-Request-Id", "X-Schema-Revision", "API-Version"},
		AllowCredentials: false,
		MaxAge:           600,
	}))

	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	r.Get("/readyz", a.ready)
	r.Get("/version", func(w http.ResponseWriter, _ *http.Request) {
		httpx.JSON(w, http.StatusOK, map[string]any{"build": buildinfo.Get(name), "api": APIVersion, "schemas": Revisions()})
	})
	r.Handle("/metrics", a.Metrics.Handler())

	r.Route("/v1", func(r chi.Router) {
		r.Use(middleware.Timeout(a.Config.HTTP.WriteTimeout - time.Second))
		r.Use(httpx.APIVersion(APIVersion))
		if a.Issuer != nil {
			r.Use(httpx.Authenticate(a.Issuer))
			r.Post("/tokens", a.token)
		}
		r.Use(httpx.RateLimit(limiter))
		a.Services.Mount(r)
		r.With(httpx.RequireRole(auth.RoleStaff)).Get("/live", a.Hub.ServeHTTP)
	})
	return r, nil
}

func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	status := map[string]any{"outbox": a.Outbox.Len(), "websockets": a.Hub.Len()}
	code := http.StatusOK
	if a.Pool != nil {
		if err := a.Pool.Ping(ctx); err != nil {
			status["postgres"] = err.Error()
			code = http.StatusServiceUnavailable
		} else {
			status["postgres"] = store.PoolStats(a.Pool)
		}
	}
	if a.Redis != nil {
		if err := a.Redis.Ping(ctx); err != nil {
			status["redis"] = err.Error()
		} else {
			status["redis"] = "ok"
		}
	}
	httpx.JSON(w, code, status)
}

// token exchanges a shared staff password for a token; a stand-in for a
// real identity provider, enough for tooling and tests.
func (a *App) token(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Subject  string `json:"subject"`
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := httpx.Decode(w, r, &in); err != nil {
		httpx.Fail(w, r, err)
		return
	}
	if in.Subject == "" || in.Password != a.Config.Auth.Secret {
		httpx.Fail(w, r, auth.ErrBadToken)
		return
	}
	tok, exp, err := a.Issuer.Issue(in.Subject, in.Email, auth.RoleStaff)
	if err != nil {
		httpx.Fail(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusCreated, map[string]any{"token": tok, "expires_at": exp})
}

// Serve runs the HTTP server until ctx ends, then shuts it down gracefully.
func (a *App) Serve(ctx context.Context, h http.Handler) error {
	srv := &http.Server{
		Addr:              a.Config.HTTP.Addr,
		Handler:           h,
		ReadTimeout:       a.Config.HTTP.ReadTimeout,
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      a.Config.HTTP.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	a.Log.Info().Str("addr", srv.Addr).Msg("listening")
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), a.Config.HTTP.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
