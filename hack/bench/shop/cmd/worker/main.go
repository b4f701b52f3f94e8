// Command worker runs the shop's background jobs and its database
// migrations.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"example.com/bench/shop/internal/app"
	"example.com/bench/shop/internal/buildinfo"
	"example.com/bench/shop/internal/config"
	"example.com/bench/shop/internal/logging"
	"example.com/bench/shop/internal/migrations"
	"example.com/bench/shop/internal/store"
	"example.com/bench/shop/internal/worker"
)

func main() {
	if err := root().Execute(); err != nil {
		os.Exit(1)
	}
}

type flags struct {
	config string
	dotenv string
	human  bool
}

func (f flags) load() (config.Config, error) { return config.Load(f.config, f.dotenv, "SHOP_") }

func root() *cobra.Command {
	var f flags
	cmd := &cobra.Command{
		Use:          "worker",
		Short:        "The shop's background worker",
		SilenceUsage: true,
		Version:      buildinfo.Get("worker").String(),
	}
	cmd.PersistentFlags().StringVarP(&f.config, "config", "c", "", "configuration file (.toml or .yaml)")
	cmd.PersistentFlags().StringVar(&f.dotenv, "env-file", ".env", "dotenv file read before the environment, if it exists")
	cmd.PersistentFlags().BoolVar(&f.human, "human", false, "log in a readable format instead of JSON")
	cmd.AddCommand(runCmd(&f), migrateCmd(&f))
	return cmd
}

func runCmd(f *flags) *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "React to events and run the periodic jobs",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			log, err := logging.New(os.Stderr, cfg.LogLevel, f.human)
			if err != nil {
				return err
			}
			log.Info().Str("build", buildinfo.Get("worker").String()).Msg("starting")
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			a, err := app.New(ctx, "worker", cfg, log)
			if err != nil {
				return err
			}
			defer a.Close()
			return worker.New(a).Run(ctx)
		},
	}
}

func migrateCmd(f *flags) *cobra.Command {
	var dryRun, status bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the pending database migrations",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			if cfg.Postgres.URL == "" {
				return errors.New("migrate needs postgres.url (SHOP_PG_URL)")
			}
			ctx := cmd.Context()
			pool, err := store.Open(ctx, cfg.Postgres.URL, 2)
			if err != nil {
				return err
			}
			defer pool.Close()
			out := cmd.OutOrStdout()
			if status {
				plan, err := migrations.Plan(ctx, pool)
				tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				for _, s := range plan {
					state := "pending"
					if s.Applied {
						state = "applied"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Version, state, s.Checksum[:12])
				}
				if ferr := tw.Flush(); ferr != nil {
					return ferr
				}
				return err
			}
			done, err := migrations.Up(ctx, pool, dryRun)
			for _, v := range done {
				verb := "applied"
				if dryRun {
					verb = "would apply"
				}
				fmt.Fprintln(out, verb, v)
			}
			if err == nil && len(done) == 0 {
				fmt.Fprintln(out, "up to date")
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would be applied")
	cmd.Flags().BoolVar(&status, "status", false, "print every migration and whether it is applied")
	return cmd
}
