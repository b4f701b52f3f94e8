package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"

	"github.com/go-chi/chi/v5"

	"example.com/bench/shop/internal/app"
	"example.com/bench/shop/internal/config"
	"example.com/bench/shop/internal/logging"
)

// printRoutes lists every method and route the router serves.
func printRoutes(ctx context.Context, f flags, w io.Writer) error {
	cfg, err := config.Load(f.config, f.dotenv, "SHOP_")
	if err != nil {
		return err
	}
	cfg.Postgres.URL, cfg.Redis.Addr, cfg.NATS.URL = "", "", ""
	if cfg.Auth.Secret == "" {
		cfg.Auth.Secret = "routes-only"
	}
	log, err := logging.New(os.Stderr, "error", false)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, "api", cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	h, err := a.Router("api")
	if err != nil {
		return err
	}
	routes, ok := h.(chi.Routes)
	if !ok {
		return fmt.Errorf("router is a %T", h)
	}
	var lines []string
	err = chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		lines = append(lines, fmt.Sprintf("%-7s %s", method, route))
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(lines)
	for _, l := range lines {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	return nil
}
