// Command api serves the shop's HTTP API.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"example.com/bench/shop/internal/app"
	"example.com/bench/shop/internal/buildinfo"
	"example.com/bench/shop/internal/config"
	"example.com/bench/shop/internal/logging"
)

func main() {
	if err := root().Execute(); err != nil {
		os.Exit(1)
	}
}

type flags struct {
	config string
	dotenv string
	addr   string
	human  bool
}

func root() *cobra.Command {
	var f flags
	cmd := &cobra.Command{
		Use:           "api",
		Short:         "The shop's HTTP API",
		SilenceUsage:  true,
		Version:       buildinfo.Get("api").String(),
		RunE:          func(cmd *cobra.Command, _ []string) error { return serve(cmd.Context(), f) },
		SilenceErrors: false,
	}
	cmd.PersistentFlags().StringVarP(&f.config, "config", "c", "", "configuration file (.toml or .yaml)")
	cmd.PersistentFlags().StringVar(&f.dotenv, "env-file", ".env", "dotenv file read before the environment, if it exists")
	cmd.Flags().StringVar(&f.addr, "addr", "", "listen address (overrides http.addr)")
	cmd.Flags().BoolVar(&f.human, "human", false, "log in a readable format instead of JSON")
	cmd.AddCommand(&cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration (secrets masked)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(f.config, f.dotenv, "SHOP_")
			if err != nil {
				return err
			}
			s, err := cfg.Dump()
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), s)
			return err
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "routes",
		Short: "Print the API's routes",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return printRoutes(cmd.Context(), f, cmd.OutOrStdout())
		},
	})
	return cmd
}

func serve(ctx context.Context, f flags) error {
	cfg, err := config.Load(f.config, f.dotenv, "SHOP_")
	if err != nil {
		return err
	}
	if f.addr != "" {
		cfg.HTTP.Addr = f.addr
	}
	log, err := logging.New(os.Stderr, cfg.LogLevel, f.human)
	if err != nil {
		return err
	}
	log.Info().Str("build", buildinfo.Get("api").String()).Msg("starting")
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.New(ctx, "api", cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	h, err := a.Router("api")
	if err != nil {
		return err
	}
	go a.Outbox.Run(ctx)
	return a.Serve(ctx, h)
}
