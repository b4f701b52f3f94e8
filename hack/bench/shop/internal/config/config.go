// Package config loads the service configuration: defaults, then an optional
// file (TOML or YAML), then a .env file, then the environment (SHOP_*).
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/caarlos0/env/v11"
	"github.com/joho/godotenv"
	"gopkg.in/yaml.v3"
)

// Config is everything the binaries read at start.
type Config struct {
	Name     string `toml:"name" yaml:"name" env:"NAME"`
	Env      string `toml:"env" yaml:"env" env:"ENV"`
	LogLevel string `toml:"log_level" yaml:"log_level" env:"LOG_LEVEL"`
	LogJSON  bool   `toml:"log_json" yaml:"log_json" env:"LOG_JSON"`

	HTTP     HTTP     `toml:"http" yaml:"http" envPrefix:"HTTP_"`
	Postgres Postgres `toml:"postgres" yaml:"postgres" envPrefix:"PG_"`
	Redis    Redis    `toml:"redis" yaml:"redis" envPrefix:"REDIS_"`
	NATS     NATS     `toml:"nats" yaml:"nats" envPrefix:"NATS_"`
	Auth     Auth     `toml:"auth" yaml:"auth" envPrefix:"AUTH_"`
	Worker   Worker   `toml:"worker" yaml:"worker" envPrefix:"WORKER_"`
}

// HTTP configures the API server.
type HTTP struct {
	Addr            string        `toml:"addr" yaml:"addr" env:"ADDR"`
	ReadTimeout     time.Duration `toml:"read_timeout" yaml:"read_timeout" env:"READ_TIMEOUT"`
	WriteTimeout    time.Duration `toml:"write_timeout" yaml:"write_timeout" env:"WRITE_TIMEOUT"`
	ShutdownTimeout time.Duration `toml:"shutdown_timeout" yaml:"shutdown_timeout" env:"SHUTDOWN_TIMEOUT"`
	MaxBodyBytes    int64         `toml:"max_body_bytes" yaml:"max_body_bytes" env:"MAX_BODY_BYTES"`
	CORSOrigins     []string      `toml:"cors_origins" yaml:"cors_origins" env:"CORS_ORIGINS" envSeparator:","`
	RatePerSecond   float64       `toml:"rate_per_second" yaml:"rate_per_second" env:"RATE_PER_SECOND"`
	RateBurst       int           `toml:"rate_burst" yaml:"rate_burst" env:"RATE_BURST"`
}

// Postgres configures the database; an empty URL keeps data in memory.
type Postgres struct {
	URL      string `toml:"url" yaml:"url" env:"URL"`
	MaxConns int32  `toml:"max_conns" yaml:"max_conns" env:"MAX_CONNS"`
}

// Redis configures the shared cache; an empty address uses a local one.
type Redis struct {
	Addr     string        `toml:"addr" yaml:"addr" env:"ADDR"`
	Password string        `toml:"password" yaml:"password" env:"PASSWORD"`
	DB       int           `toml:"db" yaml:"db" env:"DB"`
	TTL      time.Duration `toml:"ttl" yaml:"ttl" env:"TTL"`
}

// NATS configures the event bus; an empty URL uses an in-process bus.
type NATS struct {
	URL     string `toml:"url" yaml:"url" env:"URL"`
	Subject string `toml:"subject" yaml:"subject" env:"SUBJECT"`
	Queue   string `toml:"queue" yaml:"queue" env:"QUEUE"`
}

// Auth configures token signing.
type Auth struct {
	Secret   string        `toml:"secret" yaml:"secret" env:"SECRET"`
	Issuer   string        `toml:"issuer" yaml:"issuer" env:"ISSUER"`
	TokenTTL time.Duration `toml:"token_ttl" yaml:"token_ttl" env:"TOKEN_TTL"`
}

// Worker configures the background worker.
type Worker struct {
	Concurrency  int           `toml:"concurrency" yaml:"concurrency" env:"CONCURRENCY"`
	PollInterval time.Duration `toml:"poll_interval" yaml:"poll_interval" env:"POLL_INTERVAL"`
	MaxAttempts  uint          `toml:"max_attempts" yaml:"max_attempts" env:"MAX_ATTEMPTS"`
}

// Default returns the configuration used when nothing else is given.
func Default() Config {
	return Config{
		Name:     "shop",
		Env:      "development",
		LogLevel: "info",
		HTTP: HTTP{
			Addr:            ":8080",
			ReadTimeout:     10 * time.Second,
			WriteTimeout:    30 * time.Second,
			ShutdownTimeout: 20 * time.Second,
			MaxBodyBytes:    1 << 20,
			RatePerSecond:   50,
			RateBurst:       100,
		},
		Postgres: Postgres{MaxConns: 10},
		Redis:    Redis{TTL: 5 * time.Minute},
		NATS:     NATS{Subject: "shop.events", Queue: "shop-worker"},
		Auth:     Auth{Issuer: "shop", TokenTTL: time.Hour},
		Worker:   Worker{Concurrency: 4, PollInterval: time.Second, MaxAttempts: 8},
	}
}

// Load reads file (if not empty), dotenv (if it exists) and the environment
// with prefix, in that order, over the defaults.
func Load(file, dotenv, prefix string) (Config, error) {
	cfg := Default()
	if file != "" {
		if err := readFile(file, &cfg); err != nil {
			return Config{}, err
		}
	}
	environ := map[string]string{}
	if dotenv != "" {
		vals, err := godotenv.Read(dotenv)
		switch {
		case err == nil:
			for k, v := range vals {
				environ[k] = v
			}
		case !errors.Is(err, os.ErrNotExist):
			return Config{}, fmt.Errorf("reading %s: %w", dotenv, err)
		}
	}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			environ[k] = v
		}
	}
	if err := env.ParseWithOptions(&cfg, env.Options{Prefix: prefix, Environment: environ}); err != nil {
		return Config{}, fmt.Errorf("environment: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func readFile(file string, cfg *Config) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	switch strings.ToLower(filepath.Ext(file)) {
	case ".toml":
		md, err := toml.Decode(string(data), cfg)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		if undecoded := md.Undecoded(); len(undecoded) > 0 {
			return fmt.Errorf("%s: unknown keys %v", file, undecoded)
		}
	case ".yaml", ".yml":
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(cfg); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	default:
		return fmt.Errorf("%s: want a .toml, .yaml or .yml file", file)
	}
	return nil
}

// Validate checks values that would only fail later.
func (c Config) Validate() error {
	var errs []error
	if c.HTTP.Addr == "" {
		errs = append(errs, errors.New("http.addr is empty"))
	}
	if c.HTTP.MaxBodyBytes <= 0 {
		errs = append(errs, errors.New("http.max_body_bytes must be positive"))
	}
	if c.HTTP.RatePerSecond < 0 || c.HTTP.RateBurst < 0 {
		errs = append(errs, errors.New("http rate limits must not be negative"))
	}
	if c.Env == "production" && len(c.Auth.Secret) < 32 {
		errs = append(errs, errors.New("auth.secret must be at least 32 bytes in production"))
	}
	if c.Worker.Concurrency < 1 {
		errs = append(errs, errors.New("worker.concurrency must be at least 1"))
	}
	switch c.LogLevel {
	case "trace", "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level %q: want trace, debug, info, warn or error", c.LogLevel))
	}
	return errors.Join(errs...)
}

// Dump writes the configuration as TOML with the secrets masked.
func (c Config) Dump() (string, error) {
	masked := c
	if masked.Auth.Secret != "" {
		masked.Auth.Secret = "********"
	}
	if masked.Redis.Password != "" {
		masked.Redis.Password = "********"
	}
	var b strings.Builder
	if err := toml.NewEncoder(&b).Encode(masked); err != nil {
		return "", err
	}
	return b.String(), nil
}
