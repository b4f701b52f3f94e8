package main

import (
	"sort"
	"strings"
)

// commandDocs returns the commands of every selected tool as the report
// shows them: the same argv the benchmark runs, with placeholders for paths.
func (b *bench) commandDocs() []CommandDoc {
	var docs []CommandDoc
	bc := func(args ...string) []string { return append([]string{"buildctl"}, args...) }
	for _, t := range b.o.tools {
		switch t {
		case "gobuild", "gobuild-base", "dockerfile":
			bb := bkBuild{tool: t, src: "<src>", out: "<out>.tar"}
			if t == "gobuild-base" {
				bb.frontend = baseFrontendImage("<digest>")
			}
			exp, imp, multi := bb, bb, bb
			exp.exportCache = b.cacheRef(t)
			imp.importCache = exp.exportCache
			multi.platforms = multiPlatforms
			docs = append(docs,
				CommandDoc{Tool: t, What: "cold, no-op and one-file edit", Argv: bc(buildArgs(bb)...)},
				CommandDoc{Tool: t, What: "cold and three platforms, before the build", Argv: bc("prune", "--all"), Adds: true},
				CommandDoc{Tool: t, What: "three platforms, added", Argv: buildArgs(multi)[len(buildArgs(bb))-2 : len(buildArgs(multi))-2], Adds: true},
				CommandDoc{Tool: t, What: "export the cache (main daemon, warm), added", Argv: buildArgs(exp)[len(buildArgs(bb))-2 : len(buildArgs(exp))-2], Adds: true},
				CommandDoc{Tool: t, What: "the fresh daemon, started for each fresh build", Argv: []string{
					"buildkitd", "--config", "<testbed>/buildkitd.toml", "--root", "<empty dir>",
					"--addr", "unix://<tmp>/buildkitd.sock", "--otel-socket-path", "<tmp>/otel-grpc.sock"}, Adds: true},
				CommandDoc{Tool: t, What: "build on the fresh daemon, added", Argv: buildArgs(imp)[len(buildArgs(bb))-2 : len(buildArgs(imp))-2], Adds: true},
			)
			docs = append(docs, b.bumpCommandDocs(t, bb)...)
		case "ko":
			env := b.koEnv("<gocache>", "<gomodcache>")
			one := b.koCommand("<src>", "<out>", []string{"linux/amd64"}, "", "")
			three := b.koCommand("<src>", "<out>", multiPlatforms, "", "")
			one.argv[0], three.argv[0] = "ko", "ko"
			docs = append(docs,
				CommandDoc{Tool: t, What: "cold, no-op and one-file edit (in `<src>`; cold: empty `<gocache>` and `<gomodcache>` first)", Env: sortedEnv(env), Argv: one.argv},
				CommandDoc{Tool: t, What: "installed once, before everything", Env: []string{"GOBIN=<testbed>/bin"}, Argv: []string{"go", "install", "github.com/google/ko@" + koVersion}, Adds: true},
				CommandDoc{Tool: t, What: "three platforms, instead of --platform=linux/amd64", Argv: three.argv[6:7], Adds: true},
			)
		case "go":
			c := goBuildCommand("<src>", "<out>", "linux/amd64", "", "")
			env := map[string]string{"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "amd64", "GOCACHE": "<gocache>", "GOMODCACHE": "<gomodcache>", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=readonly"}
			docs = append(docs,
				CommandDoc{Tool: t, What: "cold, no-op and one-file edit (in `<src>`; cold: empty `<gocache>` and `<gomodcache>` first)", Env: sortedEnv(env), Argv: c.argv},
				CommandDoc{Tool: t, What: "three platforms: the same command three times in a row, with `GOARCH=amd64`, `GOARCH=arm64` and `GOARCH=arm GOARM=7`, each into its own `<out>`", Adds: true},
			)
		}
	}
	return docs
}

func sortedEnv(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func envPrefix(env []string) string {
	if len(env) == 0 {
		return ""
	}
	return strings.Join(quoteAll(env), " ") + " "
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = quoteArg(s)
	}
	return out
}

// wrapArgv renders argv, one option (with its value) per line.
func wrapArgv(argv []string) string {
	if s := shellQuote(argv); len(s) <= 80 {
		return s
	}
	var lines []string
	cur := quoteArg(argv[0])
	for i := 1; i < len(argv); i++ {
		a := quoteArg(argv[i])
		takesValue := argv[i-1] == "-ldflags" || argv[i-1] == "-o"
		if strings.HasPrefix(argv[i], "-") && !takesValue && i > 1 {
			lines = append(lines, cur)
			cur = "  " + a
			continue
		}
		cur += " " + a
	}
	lines = append(lines, cur)
	return strings.Join(lines, " \\\n")
}
