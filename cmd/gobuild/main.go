// Command gobuild is the gobuild BuildKit frontend. BuildKit runs it inside
// the frontend image, with no arguments and the gateway API on stdin and
// stdout. Given arguments, it is a command-line tool instead (see cli.go):
// gobuild validate, llb, schema and build.
package main

import (
	"fmt"
	"os"

	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/util/appcontext"
	"github.com/moby/buildkit/util/bklog"
	_ "github.com/moby/buildkit/util/grpcutil/encoding/proto" // the gRPC codec BuildKit speaks

	"github.com/gobuild/gobuild/frontend"
)

func main() {
	// stdout carries the gateway's gRPC stream: logs go to stderr only.
	bklog.L.Logger.SetOutput(os.Stderr)
	if len(os.Args) > 1 {
		os.Exit(runCLI(appcontext.Context(), os.Args[1:], os.Stdout, os.Stderr))
	}
	if err := grpcclient.RunFromEnvironment(appcontext.Context(), frontend.Build); err != nil {
		fmt.Fprintf(os.Stderr, "gobuild: %v\n", err)
		os.Exit(1)
	}
}
