package main

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/gobuild/gobuild/spec"
)

const schemaUsage = `Usage: gobuild schema

Prints the JSON Schema of gobuild.yaml to stdout, for editors and linters:

  gobuild schema > gobuild.schema.json

and, in gobuild.yaml after its "# syntax=" line, for editors that use the
YAML language server:

  # yaml-language-server: $schema=./gobuild.schema.json
`

func cmdSchema(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("schema", stderr)
	pos, code, ok := parseArgs(fs, args, schemaUsage, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(stderr, "schema", "takes no arguments, got %q", pos)
	}
	s := spec.Schema()
	if !bytes.HasSuffix(s, []byte("\n")) {
		s = append(s[:len(s):len(s)], '\n')
	}
	if _, err := stdout.Write(s); err != nil {
		fmt.Fprintf(stderr, "gobuild schema: %v\n", err)
		return exitFail
	}
	return exitOK
}
