package main

// The tools and scenarios, with the words the report uses for them.

type toolInfo struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	// BuildKit is set for the tools that build on BuildKit.
	BuildKit bool `json:"buildkit"`
}

var tools = []toolInfo{
	{ID: "gobuild", Label: "gobuild", BuildKit: true},
	// gobuild-base is gobuild's frontend built from a git ref (-base-ref,
	// BENCH_BASE_REF), to compare the working tree with; offered only when
	// a ref is given.
	{ID: "gobuild-base", Label: "gobuild base", BuildKit: true},
	{ID: "dockerfile", Label: "Dockerfile", BuildKit: true},
	{ID: "ko", Label: "ko"},
	{ID: "go", Label: "go build (host)"},
}

func toolIDs() []string {
	ids := make([]string, len(tools))
	for i, t := range tools {
		ids[i] = t.ID
	}
	return ids
}

// offeredTools are the tools a run may time: gobuild-base only with a ref
// to build it from.
func offeredTools(baseRef string) []string {
	var ids []string
	for _, id := range toolIDs() {
		if id != "gobuild-base" || baseRef != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// gobuildTool reports whether a tool builds with a gobuild frontend image.
func gobuildTool(id string) bool { return id == "gobuild" || id == "gobuild-base" }

func tool(id string) toolInfo {
	for _, t := range tools {
		if t.ID == id {
			return t
		}
	}
	panic("unknown tool " + id)
}

type scenarioInfo struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	// Short is the chart's axis label.
	Short string `json:"short"`
	Desc  string `json:"desc"`
	// BuildKitOnly scenarios are n/a for ko and go build.
	BuildKitOnly bool `json:"buildkit_only"`
	// Chart is false for scenarios reported in the table only.
	Chart bool `json:"chart"`
	// NoTiming scenarios have a table of their own instead of a row of
	// build times (bump-disk).
	NoTiming bool `json:"no_timing,omitempty"`
}

var scenarios = []scenarioInfo{
	{
		ID: "cold", Label: "cold build", Short: "cold", Chart: true,
		Desc: "Nothing cached. BuildKit: `buildctl prune --all` first, so the builder image " +
			"(and gobuild's frontend image) are pulled from the local registry again and every " +
			"module is fetched from proxy.golang.org. ko and go build: new, empty GOCACHE and GOMODCACHE.",
	},
	{
		ID: "noop", Label: "no-op rebuild", Short: "no-op", Chart: true,
		Desc: "The same build again right after, nothing changed.",
	},
	{
		ID: "edit", Label: "one-file edit", Short: "edit", Chart: true,
		Desc: "`const Revision` in `internal/domain/order/revision.go` set to a new unique string, " +
			"then the build again: that package, the packages that import it and both binaries " +
			"are compiled and linked again.",
	},
	{
		ID: "export", Label: "warm build + cache export", Short: "export",
		Desc: "The warm main daemon builds the source once more with " +
			"`--export-cache type=registry,ref=127.0.0.1:5000/bench/cache:<tool>,mode=max`: " +
			"the time CI spends uploading the cache (nothing is compiled). Feeds the next two rows.",
		BuildKitOnly: true,
	},
	{
		ID: "fresh-same", Label: "fresh daemon, cache import, same source", Short: "fresh, same", Chart: true,
		Desc: "A second buildkitd with an empty root (a new CI runner) builds the same source " +
			"with `--import-cache type=registry,ref=127.0.0.1:5000/bench/cache:<tool>`.",
		BuildKitOnly: true,
	},
	{
		ID: "fresh-edit", Label: "fresh daemon, cache import, one-file edit", Short: "fresh, edit", Chart: true,
		Desc: "As above, but the source has the one-file edit first (a new commit on a new CI " +
			"runner): the compile runs with an empty build cache, and only what the imported " +
			"cache holds is reused.",
		BuildKitOnly: true,
	},
	{
		ID: "multi-cold", Label: "three platforms, cold", Short: "3 platforms, cold", Chart: true,
		Desc: "linux/amd64, linux/arm64 and linux/arm/v7 from nothing cached (as in the cold " +
			"build). BuildKit tools: one build with `--opt platform=linux/amd64,linux/arm64,linux/arm/v7`; " +
			"ko: one `ko build --platform=...`; go build: three builds one after another.",
	},
	{
		ID: "bump-warm", Label: "one-module bump, warm", Short: "bump, warm", Chart: true,
		Desc: "The warm main daemon (the tool's previous build cached) builds the source with one " +
			"leaf module moved one release (see [Dependency bumps](#dependency-bumps)): " +
			"the change Dependabot makes most often.",
		BuildKitOnly: true,
	},
	{
		ID: "export-empty", Label: "warm build + first cache export (empty registry)", Short: "export, empty",
		Desc: "As the cache export above, but into a registry the benchmark starts empty for each " +
			"tool and run, so that every blob is uploaded: the first export of a CI cache. Its " +
			"bytes are in [Dependency bumps](#dependency-bumps); it is the pre-bump export of the next row.",
		BuildKitOnly: true,
	},
	{
		ID: "bump-fresh", Label: "fresh daemon, cache import, one-module bump", Short: "bump, fresh", Chart: true,
		Desc: "A buildkitd with an empty root imports the cache the row above exported, builds the " +
			"source with the leaf module moved one release further, and exports its cache to the " +
			"same ref (`mode=max`, as a CI job does): time, and bytes uploaded by the export.",
		BuildKitOnly: true,
	},
	{
		ID: "bump-disk", Label: "build-cache disk over ten bumps", Short: "disk",
		Desc: "On a buildkitd of its own, a full build, then ten successive one-module bumps, the " +
			"disk measured after each; once with BuildKit's gc off and once with a small budget " +
			"(first run only; see [Dependency bumps](#dependency-bumps)).",
		BuildKitOnly: true, NoTiming: true,
	},
}

// bumpScenarios are the scenarios that move the bump module.
var bumpScenarios = []string{"bump-warm", "export-empty", "bump-fresh", "bump-disk"}

// quickScenarios are quick mode's: what issue 19's targets need.
var quickScenarios = []string{"edit", "bump-warm", "export-empty", "bump-fresh"}

func scenarioIDs() []string {
	ids := make([]string, len(scenarios))
	for i, s := range scenarios {
		ids[i] = s.ID
	}
	return ids
}

func scenario(id string) scenarioInfo {
	for _, s := range scenarios {
		if s.ID == id {
			return s
		}
	}
	panic("unknown scenario " + id)
}

// naReason says why a tool has no number for a scenario, or "".
func naReason(toolID, scenarioID string) string {
	if scenario(scenarioID).BuildKitOnly && !tool(toolID).BuildKit {
		return "build on the host: there is no BuildKit daemon to start fresh and no registry cache to import"
	}
	return ""
}

// The platforms of the three-platform scenario.
var multiPlatforms = []string{"linux/amd64", "linux/arm64", "linux/arm/v7"}

// Build arguments every build gets, and their values for ko and go build.
const (
	stampVersion = "1.2.3"
	stampCommit  = "0123456789abcdef0123456789abcdef01234567"
	stampEpoch   = "1700000000"
	stampDate    = "2023-11-14T22:13:20Z"
)
