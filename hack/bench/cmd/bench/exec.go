package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// command is one program to run: an argv array, never a shell line.
type command struct {
	argv []string
	dir  string
	env  []string // the full environment; nil: inherit
}

// runLogged runs c with its output appended to logPath and returns how long
// it ran. A non-zero exit is an error that names the log.
func runLogged(ctx context.Context, c command, logPath string) (time.Duration, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fmt.Fprintf(f, "### %s\n### in %s, load average %s\n", shellQuote(c.argv), orDot(c.dir), loadavg())
	cmd := exec.CommandContext(ctx, c.argv[0], c.argv[1:]...)
	cmd.Dir = c.dir
	cmd.Env = c.env
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	err = cmd.Run()
	d := time.Since(start)
	fmt.Fprintf(f, "### exit: %v, %.3fs\n\n", exitText(err), d.Seconds())
	if err != nil {
		return d, fmt.Errorf("%s failed (%v); see %s", c.argv[0], err, logPath)
	}
	return d, nil
}

// output runs c and returns its standard output; standard error is part of
// the error when it fails.
func output(ctx context.Context, c command) (string, error) {
	cmd := exec.CommandContext(ctx, c.argv[0], c.argv[1:]...)
	cmd.Dir = c.dir
	cmd.Env = c.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %v: %s", shellQuote(c.argv), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// loadavg returns the 1, 5 and 15 minute load averages.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func exitText(err error) string {
	if err == nil {
		return "0"
	}
	return err.Error()
}

func orDot(s string) string {
	if s == "" {
		return "."
	}
	return s
}

// shellQuote renders argv for a log or the report (never to run it).
func shellQuote(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = quoteArg(a)
	}
	return strings.Join(out, " ")
}

func quoteArg(a string) string {
	if a == "" {
		return "''"
	}
	for _, r := range a {
		// <...> are the report's placeholders, such as <src>.
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,+@%<>", r)) {
			return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return a
}

// environ returns the process environment with the keys in set replaced
// (or added) and the keys in drop removed.
func environ(set map[string]string, drop ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; ok {
			continue
		}
		skip := false
		for _, d := range drop {
			skip = skip || d == k
		}
		if !skip {
			out = append(out, kv)
		}
	}
	for k, v := range set {
		out = append(out, k+"="+v)
	}
	return out
}
