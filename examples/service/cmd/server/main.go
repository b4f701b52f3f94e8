// Command server is the service's HTTP server. Relative to its working
// directory it serves static/ at /static/ and reads config/app.json.
//
//	GET /version   {"version": ..., "commit": ..., "date": ...}
//	GET /config    {"greeting": ...} from config/app.json
//	GET /static/   the files of static/
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sync/errgroup"

	"example.com/service/internal/buildinfo"
)

// Stamped by the build: -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
var version, commit, date string

// Config is config/app.json.
type Config struct {
	Greeting string `json:"greeting"`
}

func loadConfig(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal(b, &c)
}

func newHandler(info buildinfo.Info, cfg Config, staticDir string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, info)
	})
	mux.HandleFunc("GET /config", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"greeting": cfg.Greeting})
	})
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServer(http.Dir(staticDir))))
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	static := flag.String("static", "static", "directory served at /static/")
	config := flag.String("config", "config/app.json", "config file")
	flag.Parse()

	cfg, err := loadConfig(*config)
	if err != nil {
		log.Fatal(err)
	}
	info := buildinfo.New(version, commit, date)
	srv := &http.Server{Addr: *addr, Handler: newHandler(info, cfg, *static)}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		log.Printf("server %s listening on %s", info, *addr)
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		return srv.Shutdown(context.Background())
	})
	if err := g.Wait(); err != nil {
		log.Fatal(err)
	}
}
