// Package store holds what the repositories share: errors, the database
// handle, sorting and paging, and the cache.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Errors a repository returns.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrStale    = errors.New("stale version")
)

// DB is what repositories need from a pgx pool or transaction.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Translate maps driver errors to the package's errors.
func Translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w: %s", ErrConflict, pgErr.ConstraintName)
		case "23503": // foreign_key_violation
			return fmt.Errorf("%w: %s references a missing row", ErrConflict, pgErr.ConstraintName)
		case "40001": // serialization_failure
			return fmt.Errorf("%w: %s", ErrStale, pgErr.Message)
		}
	}
	return err
}

// Sort is an ORDER BY on one of a repository's columns.
type Sort struct {
	Field string
	Desc  bool
}

// ParseSort reads "name" or "-name" and checks it against allowed.
func ParseSort(s string, def string, allowed ...string) (Sort, error) {
	if s == "" {
		s = def
	}
	desc := strings.HasPrefix(s, "-")
	field := strings.TrimPrefix(s, "-")
	for _, a := range allowed {
		if a == field {
			return Sort{Field: field, Desc: desc}, nil
		}
	}
	return Sort{}, fmt.Errorf("cannot sort by %q (allowed: %s)", field, strings.Join(allowed, ", "))
}

// SQL returns the ORDER BY clause, with id as the tie breaker.
func (s Sort) SQL() string {
	dir := "ASC"
	if s.Desc {
		dir = "DESC"
	}
	if s.Field == "id" {
		return "ORDER BY id " + dir
	}
	return fmt.Sprintf("ORDER BY %s %s, id %s", s.Field, dir, dir)
}

// Page is a LIMIT and OFFSET.
type Page struct {
	Limit  int
	Offset int
}

// Where builds a WHERE clause with numbered parameters.
type Where struct {
	conds []string
	args  []any
}

// Add appends a condition; each "?" in cond becomes the next $n.
func (w *Where) Add(cond string, args ...any) {
	var b strings.Builder
	n := 0
	for _, r := range cond {
		if r == '?' && n < len(args) {
			w.args = append(w.args, args[n])
			fmt.Fprintf(&b, "$%d", len(w.args))
			n++
			continue
		}
		b.WriteRune(r)
	}
	w.conds = append(w.conds, b.String())
}

// SQL returns " WHERE a AND b" or "".
func (w *Where) SQL() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// Args returns the parameters in order.
func (w *Where) Args() []any { return w.args }

// Next returns the placeholder for one more parameter, and appends it.
func (w *Where) Next(arg any) string {
	w.args = append(w.args, arg)
	return fmt.Sprintf("$%d", len(w.args))
}
