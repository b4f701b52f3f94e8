package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit codes of the command-line tool.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and failed: a bad file, a failed build
	exitUsage = 2 // the command line is wrong
)

const usage = `gobuild is the gobuild BuildKit frontend and a command-line tool for gobuild.yaml.

With no arguments it runs as the BuildKit gateway frontend, as BuildKit runs
it in the frontend image (the gateway API on stdin and stdout).

Usage:
  gobuild <command> [flags] [arguments]

Commands:
  validate   check a gobuild.yaml as a build does, without building
  llb        write a target's LLB definition to stdout, for buildctl
  schema     print the JSON Schema of gobuild.yaml
  build      build a directory with BuildKit, running the frontend in this process
  version    print gobuild's version
  help       show this help, or a command's: gobuild help <command>

Run 'gobuild <command> -h' for a command's flags.
`

// command is one subcommand. run gets the arguments after its name and
// returns the exit code; it writes results to stdout and messages to stderr.
type command struct {
	name  string
	usage string
	run   func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands []command

func init() {
	// Set here, not in the declaration: cmdHelp refers to commands.
	commands = []command{
		{"validate", validateUsage, cmdValidate},
		{"llb", llbUsage, cmdLLB},
		{"schema", schemaUsage, cmdSchema},
		{"build", buildUsage, cmdBuild},
		{"version", versionUsage, cmdVersion},
		{"help", usage, cmdHelp},
	}
}

// runCLI runs the command line args (without the program name) and returns
// the exit code.
func runCLI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	switch args[0] {
	case "-h", "-help", "--help":
		return cmdHelp(ctx, args[1:], stdout, stderr)
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "gobuild: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

func cmdHelp(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			fmt.Fprint(stdout, c.usage)
			return exitOK
		}
	}
	fmt.Fprintf(stderr, "gobuild help: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// newFlagSet is a flag set for the command name; parseArgs prints its help.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("gobuild "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	return fs
}

// parseArgs parses flags and positional arguments in any order, as buildx
// and buildctl accept them ("--" ends the flags), and returns the positional
// arguments. When it fails, it has printed help (-h: to stdout, exit code 0)
// or the error (to stderr, exit code 2), and ok is false.
func parseArgs(fs *flag.FlagSet, args []string, help string, stdout, stderr io.Writer) (pos []string, code int, ok bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, help)
				return nil, exitOK, false
			}
			fmt.Fprintf(stderr, "Run '%s -h' for usage.\n", fs.Name())
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, exitOK, true
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), exitOK, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageError prints msg and a pointer to the command's help.
func usageError(stderr io.Writer, name, format string, args ...any) int {
	fmt.Fprintf(stderr, "gobuild %s: %s\nRun 'gobuild %s -h' for usage.\n", name, fmt.Sprintf(format, args...), name)
	return exitUsage
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// keyValues turns K=V flag values into a map; K alone takes K's value from
// env when it is set there and is dropped otherwise, as buildx does for
// --build-arg.
func keyValues(flagName string, kvs []string, env func(string) (string, bool)) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if k == "" {
			return nil, fmt.Errorf("--%s %q: want KEY=VALUE", flagName, kv)
		}
		if !ok {
			if env == nil {
				return nil, fmt.Errorf("--%s %q: want KEY=VALUE", flagName, kv)
			}
			if v, ok = env(k); !ok {
				continue
			}
		}
		m[k] = v
	}
	return m, nil
}
