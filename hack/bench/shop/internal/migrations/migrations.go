// Package migrations applies the SQL files in sql/ in order, each in its own
// transaction, and records them with a checksum so an edited migration is
// noticed.
package migrations

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed sql/*.sql
var files embed.FS

// Migration is one SQL file.
type Migration struct {
	Version  string // the file name without .sql, "0001_init"
	SQL      string
	Checksum string
}

// All returns the migrations in order.
func All() ([]Migration, error) {
	names, err := fs.Glob(files, "sql/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]Migration, 0, len(names))
	for _, n := range names {
		b, err := files.ReadFile(n)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		out = append(out, Migration{
			Version:  strings.TrimSuffix(path.Base(n), ".sql"),
			SQL:      string(b),
			Checksum: hex.EncodeToString(sum[:]),
		})
	}
	return out, nil
}

// Status is a migration and whether it has been applied.
type Status struct {
	Migration
	Applied bool
}

// Plan returns every migration and whether it is applied; it fails when an
// applied one has changed since.
func Plan(ctx context.Context, pool *pgxpool.Pool) ([]Status, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(), checksum text NOT NULL)`); err != nil {
		return nil, err
	}
	rows, err := pool.Query(ctx, "SELECT version, checksum FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	applied, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var v [2]string
		err := r.Scan(&v[0], &v[1])
		return v, err
	})
	if err != nil {
		return nil, err
	}
	sums := map[string]string{}
	for _, a := range applied {
		sums[a[0]] = a[1]
	}
	out := make([]Status, len(all))
	var errs []error
	for i, m := range all {
		sum, ok := sums[m.Version]
		if ok && sum != m.Checksum {
			errs = append(errs, fmt.Errorf("migration %s was changed after it was applied", m.Version))
		}
		out[i] = Status{Migration: m, Applied: ok}
	}
	return out, errors.Join(errs...)
}

// Up applies the pending migrations and returns their versions.
func Up(ctx context.Context, pool *pgxpool.Pool, dryRun bool) ([]string, error) {
	plan, err := Plan(ctx, pool)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, s := range plan {
		if s.Applied {
			continue
		}
		if dryRun {
			done = append(done, s.Version)
			continue
		}
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, s.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)", s.Version, s.Checksum)
			return err
		})
		if err != nil {
			return done, fmt.Errorf("migration %s: %w", s.Version, err)
		}
		done = append(done, s.Version)
	}
	return done, nil
}
