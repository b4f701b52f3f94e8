package spec

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

var hello = Module{Path: "example.com/hello", Go: "1.26.2"}

func mustResolve(t *testing.T, src string, mod Module) *File {
	t.Helper()
	f, err := Parse("gobuild.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	r, err := f.Resolve("gobuild.yaml", mod)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	return r
}

func TestEmptyFileGetsDefaults(t *testing.T) {
	for _, src := range []string{"", "# syntax=ghcr.io/gobuild/gobuild:1\n", "# syntax=x\n---\n", "# syntax=x\nversion: 1\n"} {
		r := mustResolve(t, src, hello)
		want := &File{
			Version:   1,
			Go:        Go{Version: "1.26", Image: "docker.io/library/golang:1.26", Dir: "."},
			Builds:    []Build{{ID: "hello", Main: ".", Binary: "hello", Strip: ptr(true), Trimpath: ptr(true), path: "builds[0]"}},
			Images:    []Image{{Name: "hello", Base: "scratch", Builds: []string{"hello"}, Entrypoint: []string{"/usr/local/bin/hello"}, User: "65532:65532", Workdir: "/", Certs: ptr(true), path: "images[0]"}},
			Test:      Test{Packages: []string{"./..."}, Vet: ptr(true), Gotestsum: DefaultGotestsumVersion},
			Vulncheck: Vulncheck{Packages: []string{"./..."}, DB: DefaultVulnDB, Version: DefaultVulncheckVersion},
			name:      "gobuild.yaml",
		}
		r.pos = nil
		if !reflect.DeepEqual(r, want) {
			t.Errorf("%q:\n got %+v\nwant %+v", src, r, want)
		}
	}
}

func TestGoVersionFromGoMod(t *testing.T) {
	for _, tc := range []struct {
		gomod, image string
	}{
		{"module m\ngo 1.26\n", "docker.io/library/golang:1.26"},
		{"module m\ngo 1.25.3\ntoolchain go1.26.8\n", "docker.io/library/golang:1.26"},
		{"module m\ngo 1.27rc1\n", "docker.io/library/golang:1.27"},
		{"module m\n", "docker.io/library/golang:1.16"},
	} {
		mod, err := ParseGoMod("go.mod", []byte(tc.gomod))
		if err != nil {
			t.Fatal(err)
		}
		r := mustResolve(t, "", mod)
		if r.Go.Image != tc.image {
			t.Errorf("%q: image %s, want %s", tc.gomod, r.Go.Image, tc.image)
		}
	}
	r := mustResolve(t, "go:\n  version: 1.26.3\n", hello)
	if r.Go.Image != "docker.io/library/golang:1.26.3" {
		t.Errorf("explicit version: image %s", r.Go.Image)
	}
	r = mustResolve(t, "go:\n  image: registry.example/go@sha256:"+strings.Repeat("a", 64)+"\n", hello)
	if r.Go.Image != "registry.example/go@sha256:"+strings.Repeat("a", 64) {
		t.Errorf("explicit image: %s", r.Go.Image)
	}
}

func TestParseGoModErrors(t *testing.T) {
	if _, err := ParseGoMod("go.mod", []byte("go 1.26\n")); err == nil || !strings.Contains(err.Error(), "no module directive") {
		t.Errorf("missing module: %v", err)
	}
	if _, err := ParseGoMod("go.mod", []byte("module m\nrequire (\n")); err == nil || !strings.Contains(err.Error(), "go.mod:") {
		t.Errorf("syntax error should name go.mod and a line: %v", err)
	}
}

func TestBuildsAndImages(t *testing.T) {
	src := `# syntax=x
builds:
  - main: ./cmd/server
  - id: cli
    main: ./cmd/tool
    binary: toolctl
  - main: ./cmd/migrate/v2
images:
  - builds: [server, migrate]
    cmd: ["--port", "8080"]
  - name: tools
    builds: [cli]
    entrypoint: [/usr/local/bin/toolctl, run]
    user: "0:0"
`
	r := mustResolve(t, src, hello)
	wantBuilds := []Build{
		{ID: "server", Main: "./cmd/server", Binary: "server", Strip: ptr(true), Trimpath: ptr(true), path: "builds[0]"},
		{ID: "cli", Main: "./cmd/tool", Binary: "toolctl", Strip: ptr(true), Trimpath: ptr(true), path: "builds[1]"},
		{ID: "migrate", Main: "./cmd/migrate/v2", Binary: "migrate", Strip: ptr(true), Trimpath: ptr(true), path: "builds[2]"},
	}
	if !reflect.DeepEqual(r.Builds, wantBuilds) {
		t.Errorf("builds: %+v", r.Builds)
	}
	wantImages := []Image{
		{Name: "server", Base: "scratch", Builds: []string{"server", "migrate"}, Entrypoint: []string{"/usr/local/bin/server"}, Cmd: []string{"--port", "8080"}, User: "65532:65532", Workdir: "/", Certs: ptr(true), path: "images[0]"},
		{Name: "tools", Base: "scratch", Builds: []string{"cli"}, Entrypoint: []string{"/usr/local/bin/toolctl", "run"}, User: "0:0", Workdir: "/", Certs: ptr(true), path: "images[1]"},
	}
	if !reflect.DeepEqual(r.Images, wantImages) {
		t.Errorf("images: %+v", r.Images)
	}
	if r.Image("TOOLS") == nil || r.Image("nope") != nil || r.Build("cli").Binary != "toolctl" {
		t.Error("lookups")
	}
	if p := r.Pos("images[1].user"); p != (Pos{14, 11}) {
		t.Errorf("position of images[1].user: %+v", p)
	}
}

// Every bad file gives exactly this error: file, line, column, field, message.
func TestBadFiles(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"unknown top-level field", "# syntax=x\nbuild:\n  - main: .\n",
			`gobuild.yaml:2:1: build: unknown field "build" (did you mean "builds"?); allowed: builds, go, images, test, version, vulncheck`},
		{"unknown nested field", "builds:\n  - mian: ./cmd/x\n",
			`gobuild.yaml:2:5: builds[0].mian: unknown field "mian" (did you mean "main"?); allowed: binary, cgo, cover, env, flags, gcflags, id, ldflags, main, pgo, pie, platforms, strip, tags, trimpath`},
		{"unknown field far from any", "go:\n  zzzzzzzz: 1\n",
			`gobuild.yaml:2:3: go.zzzzzzzz: unknown field "zzzzzzzz"; allowed: dir, env, experiment, fips140, image, private, ssh, version`},
		{"wrong type list", "builds: ./cmd/x\n",
			`gobuild.yaml:1:9: builds: must be a list, not "./cmd/x"`},
		{"wrong type mapping", "go: 1.26\n",
			`gobuild.yaml:1:5: go: must be a mapping, not the number 1.26`},
		{"wrong type string", "images:\n  - entrypoint: [[a]]\n",
			`gobuild.yaml:2:18: images[0].entrypoint[0]: must be a string, not a list`},
		{"wrong type int", "version: one\n",
			`gobuild.yaml:1:10: version: must be an integer, not "one"`},
		{"unsupported version", "version: 2\n",
			`gobuild.yaml:1:10: version: unsupported version 2; this frontend reads version 1`},
		{"bad go version", "go:\n  version: latest\n",
			`gobuild.yaml:2:12: go.version: "latest" is not a Go version; write it as in go.mod, for example 1.26 or 1.26.2`},
		{"bad image ref", "go:\n  image: \"UPPER/Case\"\n",
			`gobuild.yaml:2:10: go.image: "UPPER/Case" is not an image reference: invalid reference format: repository name (Case) must be lowercase`},
		{"main without ./", "builds:\n  - main: cmd/server\n",
			`gobuild.yaml:2:11: builds[0].main: "cmd/server" must start with ./ (for example ./cmd/server), as go build expects for a package in the module`},
		{"main leaves module", "builds:\n  - main: ./../x\n",
			`gobuild.yaml:2:11: builds[0].main: "./../x" leaves the module root`},
		{"main absolute", "builds:\n  - main: /src\n",
			`gobuild.yaml:2:11: builds[0].main: "/src" is absolute; write a path relative to the module root, such as ./cmd/server`},
		{"binary with slash", "builds:\n  - binary: bin/x\n",
			`gobuild.yaml:2:13: builds[0].binary: "bin/x" is not a valid file name: use letters, digits, '.', '_', '+' and '-', with no '/'`},
		{"duplicate ids", "builds:\n  - id: a\n    main: ./a\n  - id: a\n    main: ./b\n",
			`gobuild.yaml:4:9: builds[1].id: duplicate id "a" (also builds[0].id)`},
		{"user name", "images:\n  - user: nobody\n",
			`gobuild.yaml:2:11: images[0].user: "nobody" is not a numeric user: write uid or uid:gid, for example 65532:65532`},
		{"reserved target", "images:\n  - name: binaries\n",
			`gobuild.yaml:2:11: images[0].name: "binaries" is reserved for gobuild's own target; reserved: binaries, test, vulncheck`},
		{"yaml syntax", "builds:\n  - main: .\n   id: x\n",
			`gobuild.yaml:3: invalid YAML: did not find expected '-' indicator`},
		{"unclosed flow list", "version: 1\nbuilds: [\n  {main: .}\nimages: []\n",
			`gobuild.yaml:2: invalid YAML: did not find expected ',' or ']'`},
		{"tabs", "builds:\n\t- main: .\n",
			`gobuild.yaml:2: invalid YAML: found character that cannot start any token`},
		{"two documents", "version: 1\n---\nversion: 1\n",
			`gobuild.yaml:2:1: more than one YAML document; gobuild.yaml holds exactly one`},
		{"duplicate key", "version: 1\nversion: 1\n",
			`gobuild.yaml:2:1: version: given twice (first at line 1)`},
		{"undefined build", "images:\n  - builds: [nope]\n",
			`gobuild.yaml:2:14: images[0].builds[0]: no build has id "nope"; builds: hello`},
		{"ids equal by default", "builds:\n  - main: ./a/x\n  - main: ./b/x\n",
			`gobuild.yaml:3:5: builds[1]: id "x" is also the id of builds[0]; set a distinct id`},
		{"owned flag", "builds:\n  - flags: [-race, \"-ldflags=-X a=b\"]\n",
			`gobuild.yaml:2:20: builds[0].flags[1]: gobuild sets -ldflags itself; use builds[0].ldflags`},
		{"not a flag", "builds:\n  - flags: [race]\n",
			`gobuild.yaml:2:13: builds[0].flags[0]: "race" is not a flag: flags start with -`},
		{"bad tag", "builds:\n  - tags: [\"a b\"]\n",
			`gobuild.yaml:2:12: builds[0].tags[0]: "a b" is not a build tag: use letters, digits, '_' and '.'`},
		{"owned env", "builds:\n  - env:\n      GOOS: windows\n",
			`gobuild.yaml:3:13: builds[0].env.GOOS: gobuild sets GOOS itself from the target platform and its settings`},
		{"bad env name", "images:\n  - env:\n      1X: a\n",
			`gobuild.yaml:3:11: images[0].env.1X: "1X" is not a variable name: use letters, digits and '_', not starting with a digit`},
		{"template syntax", "builds:\n  - ldflags: [\"-X main.v={{.Version\"]\n",
			`gobuild.yaml:2:15: builds[0].ldflags[0]: unclosed action`},
		{"template field", "images:\n  - labels:\n      v: \"{{.Versoin}}\"\n",
			`gobuild.yaml:3:10: images[0].labels.v: can't evaluate field Versoin in type spec.Values; templates can use .Version .Commit .Date .Os .Arch .Variant .Args.NAME`},
		{"bad port", "images:\n  - expose: [\"8080\", \"99999\", \"53/udp\", http]\n",
			`gobuild.yaml:2:22: images[0].expose[1]: "99999" is not a port: write a number from 1 to 65535, optionally with /tcp, /udp or /sctp` + "\n" +
				`gobuild.yaml:2:41: images[0].expose[3]: "http" is not a port: write a number from 1 to 65535, optionally with /tcp, /udp or /sctp`},
		{"relative workdir", "images:\n  - workdir: app\n",
			`gobuild.yaml:2:14: images[0].workdir: "app" must be an absolute path in the image, such as /app`},
		{"file outside context", "images:\n  - files:\n      - src: ../secrets\n        dst: /app/\n",
			`gobuild.yaml:3:14: images[0].files[0].src: "../secrets" leaves the build context`},
		{"file absolute src", "images:\n  - files:\n      - src: /etc/passwd\n        dst: /etc/passwd\n",
			`gobuild.yaml:3:14: images[0].files[0].src: "/etc/passwd" is absolute; files come from the build context, so write a path relative to it`},
		{"file bad mode and owner", "images:\n  - files:\n      - src: a\n        dst: /a\n        mode: rw\n        owner: nobody\n",
			`gobuild.yaml:5:15: images[0].files[0].mode: "rw" is not an octal mode: write it like "0444" or "0755"` + "\n" +
				`gobuild.yaml:6:16: images[0].files[0].owner: "nobody" is not a numeric owner: write uid:gid, for example 65532:65532`},
		{"file without dst", "images:\n  - files:\n      - src: a\n",
			`gobuild.yaml:3:9: images[0].files[0].dst: is required: an absolute path in the image`},
		{"strip not bool", "builds:\n  - strip: \"no\"\n",
			`gobuild.yaml:2:12: builds[0].strip: must be true or false, not "no"`},
		{"second image unnamed", "images:\n  - name: a\n  - user: \"1\"\n",
			`gobuild.yaml:3:5: images[1]: name is required when there is more than one image`},
		{"bad test reports", "test:\n  flags: [-coverprofile=x.out, -json]\n  junit: true\n  gotestsum: latest\n",
			`gobuild.yaml:2:11: test.flags[0]: gobuild writes the coverage profile itself; set test.coverage: true` + "\n" +
				`gobuild.yaml:2:32: test.flags[1]: test.junit runs the tests through gotestsum, which asks go test for JSON itself` + "\n" +
				`gobuild.yaml:4:14: test.gotestsum: "latest" is not a version of gotest.tools/gotestsum such as v1.13.0`},
		{"bad go settings", "go:\n  experiment: [jsonv2, \"a,b\", noswissmap]\n  fips140: v1\n  env: {GOEXPERIMENT: x}\n",
			`gobuild.yaml:2:24: go.experiment[1]: "a,b" is not a GOEXPERIMENT name: write one per item, such as jsonv2 or noswissmap` + "\n" +
				`gobuild.yaml:3:12: go.fips140: "v1" is not a GOFIPS140 setting: use latest, inprocess, certified, off or a module version such as v1.0.0` + "\n" +
				`gobuild.yaml:4:23: go.env.GOEXPERIMENT: set GOEXPERIMENT with go.experiment`},
		{"bad platform", "builds:\n  - platforms: [linux/arm64, \"linux/\", plan9/amd64, linux/mips, windows/amd64, darwin/386]\n",
			`gobuild.yaml:2:30: builds[0].platforms[1]: "linux/" is not a platform: write it as os/arch[/variant], such as linux/arm64 or linux/arm/v7` + "\n" +
				`gobuild.yaml:2:40: builds[0].platforms[2]: "plan9/amd64": gobuild builds binaries for darwin, dragonfly, freebsd, illumos, linux, netbsd, openbsd, solaris, windows, not for plan9` + "\n" +
				`gobuild.yaml:2:53: builds[0].platforms[3]: "linux/mips": gobuild builds linux/amd64, linux/arm64, linux/arm, linux/386, linux/ppc64le, linux/s390x, linux/riscv64, not linux/mips` + "\n" +
				`gobuild.yaml:2:80: builds[0].platforms[5]: "darwin/386": gobuild builds darwin/amd64, darwin/arm64, not darwin/386`},
		{"cgo not bool", "builds:\n  - cgo: yes please\n",
			`gobuild.yaml:2:10: builds[0].cgo: must be true or false, not "yes please"`},
		{"test package and flag", "test:\n  packages: [internal/...]\n  flags: [short]\n",
			`gobuild.yaml:2:14: test.packages[0]: "internal/..." must start with ./ (for example ./... or ./internal/...)` + "\n" +
				`gobuild.yaml:3:11: test.flags[0]: "short" is not a flag: flags start with -`},
		{"test package outside module", "test:\n  packages: [./../x/...]\n",
			`gobuild.yaml:2:14: test.packages[0]: "./../x/..." leaves the module root`},
		{"dir outside context", "go:\n  dir: ../other\n",
			`gobuild.yaml:2:8: go.dir: "../other" leaves the build context`},
		{"dir absolute", "go:\n  dir: /src\n",
			`gobuild.yaml:2:8: go.dir: "/src" is absolute; write the module's directory relative to the build context, such as services/api`},
		{"go env owned", "go:\n  env:\n    GOARCH: arm64\n",
			`gobuild.yaml:3:13: go.env.GOARCH: gobuild sets GOARCH itself from the target platform and its settings`},
		{"private with comma", "go:\n  private: [\"a.com/*,b.com\"]\n",
			`gobuild.yaml:2:13: go.private[0]: "a.com/*,b.com" is not a module path pattern: write one per item, such as github.com/acme/*`},
		{"ssh without private", "go:\n  ssh: true\n",
			`gobuild.yaml:2:8: go.ssh: go.ssh fetches the modules that go.private names over ssh, and go.private is empty`},
		{"ssh with a wildcard host", "go:\n  ssh: true\n  private: [\"*.corp.example\"]\n",
			`gobuild.yaml:3:13: go.private[0]: "*.corp.example" does not start with a host name, so go.ssh cannot rewrite its URLs to ssh: write it as host/path, such as github.com/acme/*`},
		{"vulncheck db", "vulncheck:\n  db: vuln.example.com\n",
			`gobuild.yaml:2:7: vulncheck.db: "vuln.example.com" is not an https://, http:// or file:// URL`},
		{"vulncheck version", "vulncheck:\n  version: 1.9\n",
			`gobuild.yaml:2:12: vulncheck.version: "1.9" is not a version of golang.org/x/vuln such as v1.9.0`},
		{"vulncheck packages", "vulncheck:\n  packages: [cmd/...]\n",
			`gobuild.yaml:2:14: vulncheck.packages[0]: "cmd/..." must start with ./ (for example ./... or ./internal/...)`},
		{"bad base", "images:\n  - base: \"not an image\"\n",
			`gobuild.yaml:2:11: images[0].base: "not an image" is not scratch, distroless or an image reference: invalid reference format`},
		{"binary garbage", "\x00\x01\x02\xff\xfe garbage \x89PNG\r\n\x1a\n",
			`gobuild.yaml:1: invalid YAML: control characters are not allowed`},
		{"invalid UTF-8", "builds:\n  - main: \"\xff\xfe\"\n",
			`gobuild.yaml:2: invalid YAML: invalid leading UTF-8 octet`},
		{"NUL in a value", "builds:\n  - main: \"./a\x00b\"\n",
			`gobuild.yaml:2: invalid YAML: control characters are not allowed`},
		{"deep flow nesting", strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
			`gobuild.yaml:1: invalid YAML: exceeded max depth of 10000`},
		{"deep block nesting", "builds:\n  - main: ./a\n    env:\n      x:\n        x:\n          x:\n            y: 1\n",
			`gobuild.yaml:5:9: builds[0].env.x: must be a string, not a mapping`},
		{"alias bomb", "builds:\n  - main: ./a\n    tags: &a [" + strings.Repeat("x, ", 999) + "x]\n" + strings.Repeat("  - {main: ./b, tags: *a}\n", 200),
			`gobuild.yaml:102:23: builds[99].tags: the file stands for more than 100000 values (counting each use of an alias); gobuild.yaml takes at most that many`},
		{"alias to itself", "builds: &a\n  - main: *a\n",
			`gobuild.yaml:1:9: builds[0].main: must be a string, not a list`},
		{"merge key", "builds:\n  - &m {main: ./a, id: a}\n  - <<: *m\n    id: b\n",
			`gobuild.yaml:3:5: builds[1].<<: YAML merge keys (<<) are not supported; write the fields out`},
		{"too large", "builds:\n" + strings.Repeat("  - main: ./cmd/x # a comment that pads the file out\n", 25000),
			`gobuild.yaml: the file is 1325008 bytes; gobuild reads at most 1048576 (1 MiB)`},
		{"many errors", "images:\n  - expose: [" + strings.Repeat("http, ", 24) + "http]\n",
			strings.TrimSuffix(strings.Repeat("gobuild.yaml:2:X: images[0].expose[N]: \"http\" is not a port: write a number from 1 to 65535, optionally with /tcp, /udp or /sctp\n", 20), "\n") + "\n... and 5 more problems in gobuild.yaml"},
		{"annotation template", "images:\n  - annotations:\n      org.opencontainers.image.title: \"{{.Nope}}\"\n",
			`gobuild.yaml:3:39: images[0].annotations.org.opencontainers.image.title: can't evaluate field Nope in type spec.Values; templates can use .Version .Commit .Date .Os .Arch .Variant .Args.NAME`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("gobuild.yaml", []byte(tc.src))
			if err == nil {
				_, err = f.Resolve("gobuild.yaml", hello)
			}
			if err == nil {
				t.Fatalf("no error; want %s", tc.want)
			}
			got := err.Error()
			if strings.Contains(tc.want, ":X: ") { // columns and indexes vary by line
				got = regexp.MustCompile(`:\d+: (\S+)\[\d+\]`).ReplaceAllString(got, ": $1[N]")
				got = regexp.MustCompile(`(gobuild.yaml:\d+): `).ReplaceAllString(got, "$1:X: ")
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestAllErrorsReported(t *testing.T) {
	_, err := Parse("x.yaml", []byte("version: 3\nbuilds:\n  - mian: .\nimages:\n  - user: root\n"))
	errs, ok := AsErrors(err)
	if !ok || len(errs) != 1 {
		t.Fatalf("want 1 structural error first, got %v", err)
	}
	_, err = Parse("x.yaml", []byte("version: 3\nimages:\n  - user: root\n"))
	if errs, ok := AsErrors(err); !ok || len(errs) != 2 {
		t.Fatalf("want 2 errors, got %v", err)
	}
}

func TestMinorVersion(t *testing.T) {
	for in, want := range map[string]string{"1.26": "1.26", "1.26.8": "1.26", "1.27rc1": "1.27", "1.16": "1.16"} {
		if got := MinorVersion(in); got != want {
			t.Errorf("MinorVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRender(t *testing.T) {
	src := `builds:
  - ldflags: ["-X main.version={{.Version}}", "-X main.commit={{.Commit}} -X main.date={{.Date}}", "-X main.target={{.Os}}/{{.Arch}}{{.Variant}}", "-X 'main.who={{.Args.WHO}}'"]
    env:
      GOEXPERIMENT: "{{.Args.EXP}}"
images:
  - labels:
      version: "{{.Version}}"
      plain: "no template; $(echo) stays"
`
	r := mustResolve(t, src, hello)
	v := Values{Version: "1.2.3", Commit: "abc", Date: "2023-11-14T22:13:20Z", Os: "linux", Arch: "arm", Variant: "v7", Args: map[string]string{"WHO": "a b;$x", "EXP": "arenas"}}
	out, err := r.Render("gobuild.yaml", v)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-X main.version=1.2.3", "-X main.commit=abc -X main.date=2023-11-14T22:13:20Z", "-X main.target=linux/armv7", "-X 'main.who=a b;$x'"}
	if !reflect.DeepEqual(out.Builds[0].Ldflags, want) {
		t.Errorf("ldflags %q", out.Builds[0].Ldflags)
	}
	if out.Builds[0].Env["GOEXPERIMENT"] != "arenas" || out.Images[0].Labels["version"] != "1.2.3" || out.Images[0].Labels["plain"] != "no template; $(echo) stays" {
		t.Errorf("env %v labels %v", out.Builds[0].Env, out.Images[0].Labels)
	}
	if r.Builds[0].Ldflags[0] != "-X main.version={{.Version}}" {
		t.Error("Render changed its receiver")
	}
	_, err = r.Render("gobuild.yaml", Values{Args: map[string]string{"EXP": "x"}})
	if want := `gobuild.yaml:2:148: builds[0].ldflags[3]: build arg WHO is not set (pass --build-arg WHO=...)`; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestGoEnv(t *testing.T) {
	r := mustResolve(t, "go:\n  dir: ./svc/\n  env:\n    GOFLAGS: -mod=mod\n    GOPRIVATE: x.org/*\n  private: [github.com/acme/*, go.acme.dev]\n", hello)
	if r.Go.Dir != "svc" {
		t.Errorf("dir %q, want svc", r.Go.Dir)
	}
	got := r.GoEnv(map[string]string{"GOFLAGS": "-mod=vendor", "GOPROXY": "off", "OTHER": "x"})
	want := map[string]string{"GOFLAGS": "-mod=vendor", "GOPROXY": "off", "GOPRIVATE": "x.org/*,github.com/acme/*,go.acme.dev"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GoEnv = %v, want %v", got, want)
	}
	if env := mustResolve(t, "", hello).GoEnv(nil); len(env) != 0 {
		t.Errorf("empty file: GoEnv = %v", env)
	}
}

func TestBaseDefaults(t *testing.T) {
	r := mustResolve(t, "images:\n  - name: a\n  - name: b\n    base: distroless\n  - name: c\n    base: alpine:3\n    certs: true\n", hello)
	for i, want := range []struct {
		ref   string
		certs bool
	}{{"", true}, {Distroless, false}, {"alpine:3", true}} {
		im := r.Images[i]
		if im.BaseRef() != want.ref || *im.Certs != want.certs {
			t.Errorf("%s: base %q certs %v, want %q %v", im.Name, im.BaseRef(), *im.Certs, want.ref, want.certs)
		}
	}
}

// The GOVULNDB build arg wins over vulncheck.db, which defaults to
// vuln.go.dev; a bad build arg is an error naming it.
func TestVulnDB(t *testing.T) {
	parse := func(src string) *File {
		f, err := Parse("gobuild.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		r, err := f.Resolve("gobuild.yaml", Module{Path: "example.com/hello", Go: "1.26"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, c := range []struct {
		src  string
		args map[string]string
		want string
	}{
		{"", nil, DefaultVulnDB},
		{"vulncheck:\n  db: https://vulndb.corp\n", nil, "https://vulndb.corp"},
		{"vulncheck:\n  db: https://vulndb.corp\n", map[string]string{"GOVULNDB": "http://127.0.0.1:8080"}, "http://127.0.0.1:8080"},
	} {
		if got, err := parse(c.src).VulnDB(c.args); err != nil || got != c.want {
			t.Errorf("%q %v: got %q, %v; want %q", c.src, c.args, got, err, c.want)
		}
	}
	_, err := parse("").VulnDB(map[string]string{"GOVULNDB": "vuln.go.dev"})
	if want := `build arg GOVULNDB: "vuln.go.dev" is not an https://, http:// or file:// URL`; err == nil || err.Error() != want {
		t.Errorf("bad GOVULNDB: %v, want %s", err, want)
	}
}

// go.experiment and go.fips140 become GOEXPERIMENT and GOFIPS140 for every
// go command; GOFIPS140 needs Go 1.24.
func TestGoSettings(t *testing.T) {
	src := "go:\n  experiment: [jsonv2, nogreenteagc]\n  fips140: v1.0.0\n  env: {GOFLAGS: -mod=mod}\n"
	env := mustResolve(t, src, hello).GoEnv(map[string]string{"GOFLAGS": "-x"})
	want := map[string]string{"GOEXPERIMENT": "jsonv2,nogreenteagc", "GOFIPS140": "v1.0.0", "GOFLAGS": "-x"}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("GoEnv = %v, want %v", env, want)
	}
	f, err := Parse("custom.yaml", []byte("go:\n  version: \"1.23\"\n  fips140: latest\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Resolve("custom.yaml", hello)
	if want := "custom.yaml:3:12: go.fips140: GOFIPS140 needs Go 1.24 or newer, and this module builds with Go 1.23 (go.version or go.mod)"; err == nil || err.Error() != want {
		t.Errorf("Resolve = %v, want %s", err, want)
	}
}
