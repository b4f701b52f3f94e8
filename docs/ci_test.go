// Package docs checks docs/ci.md against the recipe files it shows
// (docs/ci/), and the recipes that no linter of their own checks here: the
// GitLab CI file, the Renovate and Dependabot configurations. The GitHub
// workflows are checked by hack/actionlint; docs/ci/docker-bake.hcl is
// built by integration/cirecipes_test.go.
package docs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// block is a fenced code block of a Markdown file.
type block struct {
	line int    // the line of its opening fence
	lang string // what follows the fence
	file string // the path named by a "<!-- file: PATH -->" line right above it
	text string
}

var fileComment = regexp.MustCompile(`^<!-- file: (\S+) -->$`)

// blocks returns the fenced blocks of a Markdown file.
func blocks(t *testing.T, path string) []block {
	t.Helper()
	dt, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		bs   []block
		cur  *block
		prev string
		body strings.Builder
	)
	sc := bufio.NewScanner(bytes.NewReader(dt))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &block{line: n, lang: strings.TrimPrefix(line, "```")}
			if m := fileComment.FindStringSubmatch(prev); m != nil {
				cur.file = m[1]
			}
			body.Reset()
		case cur != nil && line == "```":
			cur.text = body.String()
			bs = append(bs, *cur)
			cur = nil
		case cur != nil:
			body.WriteString(line + "\n")
		}
		prev = line
	}
	if cur != nil {
		t.Fatalf("%s:%d: a code block is not closed", path, cur.line)
	}
	return bs
}

// firstDiff is the first line (from 1) where a and b differ.
func firstDiff(a, b string) int {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return i + 1
		}
	}
	return min(len(al), len(bl)) + 1
}

// workflowLike says whether a YAML text is a CI configuration: a GitHub
// workflow (jobs, on) or GitLab CI file (stages, a job with a script).
func workflowLike(text string) bool {
	var m map[string]any
	if yaml.Unmarshal([]byte(text), &m) != nil {
		return false
	}
	for k, v := range m {
		switch k {
		case "jobs", "on", "stages", "workflow":
			return true
		}
		if job, ok := v.(map[string]any); ok {
			if _, ok := job["script"]; ok {
				return true
			}
		}
	}
	return false
}

// docs/ci.md shows every file of docs/ci/ once, byte for byte, each below a
// "<!-- file: PATH -->" line, and no CI configuration without its file.
func TestCIDocShowsRecipes(t *testing.T) {
	shown := map[string]int{}
	for _, b := range blocks(t, "ci.md") {
		if b.file == "" {
			if (b.lang == "yaml" || b.lang == "yml") && workflowLike(b.text) {
				t.Errorf("ci.md:%d: a CI configuration with no file: put it in docs/ci/ and name it with a <!-- file: docs/ci/... --> line above the block", b.line)
			}
			continue
		}
		shown[b.file]++
		want, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(b.file)))
		if err != nil {
			t.Errorf("ci.md:%d: %v", b.line, err)
			continue
		}
		if b.text != string(want) {
			t.Errorf("ci.md:%d: the block differs from %s at its line %d: copy the file into the block", b.line, b.file, firstDiff(b.text, string(want)))
		}
	}
	var files []string
	err := filepath.WalkDir("ci", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, "docs/"+filepath.ToSlash(p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	if len(files) == 0 {
		t.Fatal("docs/ci/ holds no files")
	}
	for _, f := range files {
		if shown[f] != 1 {
			t.Errorf("ci.md shows %s %d times, want once", f, shown[f])
		}
	}
	// The section another script fills: both markers, in order, once.
	dt, _ := os.ReadFile("ci.md")
	begin, end := "<!-- ci-cycle:begin -->", "<!-- ci-cycle:end -->"
	if bytes.Count(dt, []byte(begin)) != 1 || bytes.Count(dt, []byte(end)) != 1 || bytes.Index(dt, []byte(begin)) > bytes.Index(dt, []byte(end)) {
		t.Errorf("ci.md must hold %s and then %s, once each", begin, end)
	}
}

// gitlabGlobal are the keywords GitLab CI accepts at the top level of
// .gitlab-ci.yml besides jobs; gitlabDefault and gitlabJob hold those of
// default: and of a job.
var gitlabGlobal = []string{"after_script", "before_script", "cache", "default", "image", "include", "services", "spec", "stages", "variables", "workflow"}

type gitlabService struct {
	Name       string            `yaml:"name"`
	Alias      string            `yaml:"alias"`
	Command    []string          `yaml:"command"`
	Entrypoint []string          `yaml:"entrypoint"`
	Variables  map[string]string `yaml:"variables"`
	PullPolicy any               `yaml:"pull_policy"`
	DockerOpts any               `yaml:"docker"`
	Kubernetes any               `yaml:"kubernetes"`
}

type gitlabImage struct {
	Name       string   `yaml:"name"`
	Entrypoint []string `yaml:"entrypoint"`
	PullPolicy any      `yaml:"pull_policy"`
	DockerOpts any      `yaml:"docker"`
	Kubernetes any      `yaml:"kubernetes"`
}

// gitlabDefault holds the keywords of default:.
type gitlabDefault struct {
	AfterScript   []string        `yaml:"after_script"`
	Artifacts     any             `yaml:"artifacts"`
	BeforeScript  []string        `yaml:"before_script"`
	Cache         any             `yaml:"cache"`
	Hooks         any             `yaml:"hooks"`
	IDTokens      any             `yaml:"id_tokens"`
	Image         gitlabImage     `yaml:"image"`
	Interruptible bool            `yaml:"interruptible"`
	Retry         any             `yaml:"retry"`
	Services      []gitlabService `yaml:"services"`
	Tags          []string        `yaml:"tags"`
	Timeout       string          `yaml:"timeout"`
}

// gitlabJob holds the keywords of a job.
type gitlabJob struct {
	gitlabDefault      `yaml:",inline"`
	AllowFailure       any               `yaml:"allow_failure"`
	Coverage           string            `yaml:"coverage"`
	DastConfiguration  any               `yaml:"dast_configuration"`
	Dependencies       []string          `yaml:"dependencies"`
	Environment        any               `yaml:"environment"`
	Extends            any               `yaml:"extends"`
	Identity           string            `yaml:"identity"`
	Inherit            any               `yaml:"inherit"`
	ManualConfirmation string            `yaml:"manual_confirmation"`
	Needs              any               `yaml:"needs"`
	Pages              any               `yaml:"pages"`
	Parallel           any               `yaml:"parallel"`
	Release            any               `yaml:"release"`
	ResourceGroup      string            `yaml:"resource_group"`
	Rules              any               `yaml:"rules"`
	Run                any               `yaml:"run"`
	Script             []string          `yaml:"script"`
	Secrets            any               `yaml:"secrets"`
	Stage              string            `yaml:"stage"`
	Trigger            any               `yaml:"trigger"`
	Variables          map[string]string `yaml:"variables"`
	When               string            `yaml:"when"`
}

// strictDecode decodes node into v, failing on keys v has no field for.
func strictDecode(node *yaml.Node, v any) error {
	dt, err := yaml.Marshal(node)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(dt))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// docs/ci/gitlab-ci.yml uses only GitLab CI's keywords, every job names a
// declared stage and has a script of strings, and the file builds
// gobuild.yaml through a BuildKit service.
func TestGitLabRecipe(t *testing.T) {
	const path = "ci/gitlab-ci.yml"
	dt, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(dt, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		t.Fatalf("%s: not a mapping", path)
	}
	top := doc.Content[0]
	var (
		stages []string
		def    gitlabDefault
		jobs   = map[string]gitlabJob{}
		order  []string
	)
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, val := top.Content[i], top.Content[i+1]
		name := key.Value
		switch {
		case name == "stages":
			if err := val.Decode(&stages); err != nil {
				t.Errorf("%s:%d: stages: %v", path, key.Line, err)
			}
		case name == "default":
			if err := strictDecode(val, &def); err != nil {
				t.Errorf("%s:%d: default: %v", path, key.Line, err)
			}
		case name == "variables":
			var vars map[string]string
			if err := val.Decode(&vars); err != nil {
				t.Errorf("%s:%d: variables: %v", path, key.Line, err)
			}
		case slices.Contains(gitlabGlobal, name), strings.HasPrefix(name, "."):
		default:
			var j gitlabJob
			if err := strictDecode(val, &j); err != nil {
				t.Errorf("%s:%d: job %s: %v", path, key.Line, name, err)
				continue
			}
			jobs[name] = j
			order = append(order, name)
		}
	}
	if stages == nil {
		stages = []string{".pre", "build", "test", "deploy", ".post"}
	}
	if len(jobs) == 0 {
		t.Fatalf("%s: no jobs", path)
	}
	for _, name := range order {
		j := jobs[name]
		if j.Stage == "" {
			j.Stage = "test"
		}
		if !slices.Contains(stages, j.Stage) {
			t.Errorf("%s: job %s: stage %q is not one of the stages %v", path, name, j.Stage, stages)
		}
		if len(j.Script) == 0 {
			t.Errorf("%s: job %s has no script", path, name)
		}
		script := strings.Join(j.Script, "\n")
		if !strings.Contains(script, "buildctl build") || !strings.Contains(script, "filename=gobuild.yaml") {
			t.Errorf("%s: job %s does not build gobuild.yaml with buildctl:\n%s", path, name, script)
		}
	}
	if len(def.Services) != 1 || !strings.HasPrefix(def.Services[0].Name, "moby/buildkit:") || def.Services[0].Alias == "" {
		t.Errorf("%s: default: want one moby/buildkit service with an alias, got %+v", path, def.Services)
	}
	if host := fmt.Sprintf("tcp://%s:", def.Services[0].Alias); !bytes.Contains(dt, []byte("BUILDKIT_HOST: "+host)) {
		t.Errorf("%s: BUILDKIT_HOST does not name the service (%s...)", path, host)
	}
}

// docs/ci/renovate.json is JSON whose dockerfile patterns read gobuild.yaml
// and gobuild.yml anywhere in a repository, and nothing else new.
func TestRenovateRecipe(t *testing.T) {
	dt, err := os.ReadFile("ci/renovate.json")
	if err != nil {
		t.Fatal(err)
	}
	type rule struct {
		MatchPackageNames []string `json:"matchPackageNames"`
		PinDigests        bool     `json:"pinDigests"`
	}
	var cfg struct {
		Dockerfile struct {
			ManagerFilePatterns []string `json:"managerFilePatterns"`
		} `json:"dockerfile"`
		PackageRules []rule `json:"packageRules"`
	}
	dec := json.NewDecoder(bytes.NewReader(dt))
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("ci/renovate.json: %v", err)
	}
	var res []*regexp.Regexp
	for _, p := range cfg.Dockerfile.ManagerFilePatterns {
		// Renovate reads /.../ as a regular expression, anything else as a glob.
		if len(p) < 2 || p[0] != '/' || p[len(p)-1] != '/' {
			t.Errorf("ci/renovate.json: pattern %q is not a /regular expression/", p)
			continue
		}
		re, err := regexp.Compile(p[1 : len(p)-1])
		if err != nil {
			t.Errorf("ci/renovate.json: pattern %q: %v", p, err)
			continue
		}
		res = append(res, re)
	}
	matches := func(f string) bool {
		return slices.ContainsFunc(res, func(re *regexp.Regexp) bool { return re.MatchString(f) })
	}
	for _, f := range []string{"gobuild.yaml", "gobuild.yml", "services/api/gobuild.yaml"} {
		if !matches(f) {
			t.Errorf("ci/renovate.json: the dockerfile patterns do not read %s", f)
		}
	}
	for _, f := range []string{"gobuild.yaml.dockerignore", "notgobuild.yaml", "docs/gobuild.yaml.md"} {
		if matches(f) {
			t.Errorf("ci/renovate.json: the dockerfile patterns read %s", f)
		}
	}
	pinned := slices.ContainsFunc(cfg.PackageRules, func(r rule) bool {
		return r.PinDigests && slices.Contains(r.MatchPackageNames, "ghcr.io/gobuild/gobuild")
	})
	if !pinned {
		t.Error("ci/renovate.json: no package rule pins ghcr.io/gobuild/gobuild by digest")
	}
}

// docs/ci/dependabot.yml is a version 2 configuration of known ecosystems.
func TestDependabotRecipe(t *testing.T) {
	dt, err := os.ReadFile("ci/dependabot.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Version int `yaml:"version"`
		Updates []struct {
			Ecosystem string `yaml:"package-ecosystem"`
			Directory string `yaml:"directory"`
			Schedule  struct {
				Interval string `yaml:"interval"`
			} `yaml:"schedule"`
		} `yaml:"updates"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(dt))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("ci/dependabot.yml: %v", err)
	}
	if cfg.Version != 2 || len(cfg.Updates) == 0 {
		t.Fatalf("ci/dependabot.yml: version %d with %d updates, want version 2 with some", cfg.Version, len(cfg.Updates))
	}
	for _, u := range cfg.Updates {
		if !slices.Contains([]string{"github-actions", "gomod", "docker"}, u.Ecosystem) || u.Directory == "" ||
			!slices.Contains([]string{"daily", "weekly", "monthly"}, u.Schedule.Interval) {
			t.Errorf("ci/dependabot.yml: update %+v", u)
		}
	}
}
