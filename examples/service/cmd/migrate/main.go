// Command migrate would migrate the service's database; this example only
// reports its version.
package main

import (
	"fmt"
	"io"
	"os"

	"example.com/service/internal/buildinfo"
)

// Stamped by the build: -ldflags "-X main.version=...".
var version string

func run(w io.Writer) error {
	_, err := fmt.Fprintf(w, "migrate %s\n", buildinfo.New(version, "", "").Version)
	return err
}

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
		os.Exit(1)
	}
}
