package httpx

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"example.com/bench/shop/internal/auth"
	"example.com/bench/shop/internal/logging"
	"example.com/bench/shop/internal/metrics"
	"example.com/bench/shop/internal/resilience"
)

// RequestID sets X-Request-Id (keeping a valid one from the client) and puts
// a logger carrying it into the context.
func RequestID(base zerolog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get("X-Request-Id")
			if _, err := uuid.Parse(id); err != nil {
				id = uuid.NewString()
			}
			w.Header().Set("X-Request-Id", id)
			l := base.With().Str("request_id", id).Logger()
			next.ServeHTTP(w, r.WithContext(logging.With(r.Context(), l)))
		})
	}
}

// AccessLog logs each request with its status, size and duration, and
// records it in m.
func AccessLog(m *metrics.Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			m.InFlight.Inc()
			defer m.InFlight.Dec()
			next.ServeHTTP(ww, r)
			d := time.Since(start)
			route := chi.RouteContext(r.Context()).RoutePattern()
			if route == "" {
				route = "unmatched"
			}
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			m.Observe(route, r.Method, status, d)
			ev := logging.From(r.Context()).Info()
			if status >= 500 {
				ev = logging.From(r.Context()).Error()
			}
			ev.Str("method", r.Method).Str("route", route).Int("status", status).
				Int("bytes", ww.BytesWritten()).Dur("duration", d).Msg("request")
		})
	}
}

// RateLimit answers 429 when a client address exceeds its rate.
func RateLimit(l *resilience.Limiter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key := clientKey(r)
			if ok, wait := l.Allow(key); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
				JSON(w, http.StatusTooManyRequests, &Error{Code: "rate_limited", Message: "too many requests"})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func clientKey(r *http.Request) string {
	if c, ok := auth.ClaimsFrom(r.Context()); ok {
		return "sub:" + c.Subject
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return "ip:" + host
}

// Authenticate reads a bearer token when there is one. Without a token the
// request goes on anonymous; with a bad one it is refused.
func Authenticate(iss *auth.Issuer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := r.Header.Get("Authorization")
			if h == "" {
				next.ServeHTTP(w, r)
				return
			}
			tok, err := auth.FromHeader(h)
			if err != nil {
				Fail(w, r, err)
				return
			}
			claims, err := iss.Verify(tok)
			if err != nil {
				Fail(w, r, err)
				return
			}
			ctx := auth.WithClaims(r.Context(), claims)
			l := logging.From(ctx).With().Str("subject", claims.Subject).Logger()
			next.ServeHTTP(w, r.WithContext(logging.With(ctx, l)))
		})
	}
}

// RequireRole refuses requests without role.
func RequireRole(role auth.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := auth.Require(r.Context(), role); err != nil {
				Fail(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// APIVersion checks an Accept-Version header (a semver constraint such as
// "^1.2") against the API's version, and answers 406 when it cannot be met.
func APIVersion(current string) func(http.Handler) http.Handler {
	v := semver.MustParse(current)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("API-Version", v.String())
			want := strings.TrimSpace(r.Header.Get("Accept-Version"))
			if want == "" {
				next.ServeHTTP(w, r)
				return
			}
			c, err := semver.NewConstraint(want)
			if err != nil {
				Fail(w, r, BadRequest("Accept-Version: %v", err))
				return
			}
			if !c.Check(v) {
				JSON(w, http.StatusNotAcceptable, &Error{Code: "version", Message: "API version " + v.String() + " does not satisfy " + want})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
