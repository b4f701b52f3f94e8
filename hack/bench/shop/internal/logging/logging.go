// Package logging sets up structured logging with zerolog.
package logging

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"
)

// New returns a logger at level, writing JSON or, when human is set, a
// console format.
func New(w io.Writer, level string, human bool) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil {
		return zerolog.Nop(), err
	}
	if w == nil {
		w = os.Stderr
	}
	zerolog.TimeFieldFormat = time.RFC3339Nano
	if human {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.Kitchen}
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

type ctxKey struct{}

// With returns ctx carrying l.
func With(ctx context.Context, l zerolog.Logger) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the logger in ctx, or a disabled one.
func From(ctx context.Context) *zerolog.Logger {
	if l, ok := ctx.Value(ctxKey{}).(zerolog.Logger); ok {
		return &l
	}
	nop := zerolog.Nop()
	return &nop
}
