// Command cmd writes gobuild.schema.json, the JSON Schema of gobuild.yaml,
// in the current directory, which must be that of package spec. Run it with
// go generate ./spec (see spec/schema.go).
package main

import (
	"fmt"
	"os"

	"github.com/gobuild/gobuild/spec/internal/genschema"
)

func main() {
	b, err := genschema.Generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile("gobuild.schema.json", b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
