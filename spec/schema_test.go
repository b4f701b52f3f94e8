package spec_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gobuild/gobuild/spec"
	"github.com/gobuild/gobuild/spec/internal/genschema"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// The checked-in schema is what the generator makes of the current types,
// and it is what Schema returns.
func TestSchemaInSync(t *testing.T) {
	got, err := genschema.Generate()
	if err != nil {
		t.Fatal(err)
	}
	again, err := genschema.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, again) {
		t.Fatal("genschema.Generate is not deterministic")
	}
	file, err := os.ReadFile("gobuild.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, file) {
		t.Fatalf("spec/gobuild.schema.json is out of date with the Go types of package spec (%s); run: go generate ./spec", firstDiff(file, got))
	}
	if !bytes.Equal(spec.Schema(), file) {
		t.Fatal("spec.Schema() differs from spec/gobuild.schema.json")
	}
}

func firstDiff(old, new []byte) string {
	a, b := strings.Split(string(old), "\n"), strings.Split(string(new), "\n")
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("line %d is %q, generated %q", i+1, strings.TrimSpace(x), strings.TrimSpace(y))
		}
	}
	return "no line differs"
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(spec.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(genschema.ID, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(genschema.ID) // also checks it against the draft 2020-12 meta-schema
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// yamlToJSON reads a gobuild.yaml as a JSON value, as an editor's YAML
// language server would.
func yamlToJSON(t *testing.T, src string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(src), &v); err != nil {
		t.Fatalf("%q: %v", src, err)
	}
	b, err := json.Marshal(stringKeys(v))
	if err != nil {
		t.Fatalf("%q: %v", src, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%q: %v", src, err)
	}
	return inst
}

// stringKeys turns the map[any]any yaml.v3 makes of mappings with
// non-string keys (such as 1: a) into JSON objects.
func stringKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = stringKeys(e)
		}
	case map[any]any:
		m := map[string]any{}
		for k, e := range v {
			m[fmt.Sprint(k)] = stringKeys(e)
		}
		return m
	case []any:
		for i, e := range v {
			v[i] = stringKeys(e)
		}
	}
	return v
}

// validDocs are files spec.Parse accepts: the fixtures of spec_test.go that
// parse, and the corners of the decoder (empty values, numbers and booleans
// read as strings).
var validDocs = []string{
	"",
	"# syntax=ghcr.io/gobuild/gobuild:1\n",
	"# syntax=x\n---\n",
	"# syntax=x\nversion: 1\n",
	"# syntax=ghcr.io/gobuild/gobuild:1\n# yaml-language-server: $schema=https://raw.githubusercontent.com/gobuild/gobuild/main/spec/gobuild.schema.json\nversion: 1\n",
	"go:\n  version: 1.26.3\n",
	"go:\n  image: registry.example/go@sha256:" + strings.Repeat("a", 64) + "\n",
	`# syntax=x
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
`,
	`builds:
  - ldflags: ["-X main.version={{.Version}}", "-X main.commit={{.Commit}} -X main.date={{.Date}}", "-X main.target={{.Os}}/{{.Arch}}{{.Variant}}", "-X 'main.who={{.Args.WHO}}'"]
    env:
      GOEXPERIMENT: "{{.Args.EXP}}"
images:
  - labels:
      version: "{{.Version}}"
      plain: "no template; $(echo) stays"
`,
	"go:\n  dir: ./svc/\n  env:\n    GOFLAGS: -mod=mod\n    GOPRIVATE: x.org/*\n  private: [github.com/acme/*, go.acme.dev]\n",
	"images:\n  - name: a\n  - name: b\n    base: distroless\n  - name: c\n    base: alpine:3\n    certs: true\n",
	"vulncheck:\n  db: https://vulndb.corp\n",
	"vulncheck:\n  db: file:///srv/vulndb\n  version: v1.9.0-rc.1\n  packages: [., ./cmd/...]\n",
	"test:\n  packages: [./...]\n  flags: [-race, -count=1]\n  vet: false\n",
	"go:\n  private: [github.com/acme/*]\n  ssh: true\n",
	"builds:\n  - main: .\n    platforms: [linux/amd64, linux/arm/v7]\n    tags: [netgo, sqlite_omit_load_extension]\n    flags: [-mod=vendor]\n    gcflags: [all=-N -l]\n    strip: false\n    trimpath: true\n    cgo: true\n    pie: true\n",
	"images:\n  - files:\n      - src: static/\n        dst: /app/static/\n        mode: \"0444\"\n        owner: \"65532:65532\"\n    tzdata: true\n    tests: true\n    annotations:\n      org.opencontainers.image.title: x\n",
	// Empty values mean the default, anywhere.
	"~\n",
	"version: ~\n",
	"version: 0\n",
	"test:\nvulncheck:\ngo:\nbuilds:\nimages:\n",
	"test: {vet: ~, packages: ~}\n",
	"builds: [~]\n",
	"images:\n  - name: ~\n    env: {A: ~}\n    files: ~\n",
	// yaml.v3 reads numbers and booleans into strings as their text.
	"go:\n  version: 1.26\n",
	"images:\n  - expose: [8080, \"53/udp\"]\n    user: 1000\n    env: {A: true, B: 1, C: 1.5}\n    labels: {1: a, true: b}\n    files:\n      - {src: a, dst: /a, mode: 0444, owner: 0:0}\n",
	"builds:\n  - id: 1\n    binary: 2\n    tags: [1]\n",
}

// invalidDocs are files spec.Parse rejects and the schema rejects too.
var invalidDocs = []string{
	// structure, as TestBadFiles
	"# syntax=x\nbuild:\n  - main: .\n",
	"builds:\n  - mian: ./cmd/x\n",
	"go:\n  zzzzzzzz: 1\n",
	"images:\n  - files:\n      - {src: a, dst: /a, extra: 1}\n",
	"builds: ./cmd/x\n",
	"go: 1.26\n",
	"images: {}\n",
	"images:\n  - entrypoint: [[a]]\n",
	"images:\n  - env: {A: [x]}\n",
	"builds:\n  - env: {A: {b: c}}\n",
	"version: one\n",
	"version: 1.5\n",
	"builds:\n  - strip: \"no\"\n",
	"builds:\n  - cgo: yes please\n",
	"test:\n  vet: 1\n",
	// values, as validate
	"version: 2\n",
	"go:\n  version: latest\n",
	"go:\n  version: \"1.26.x\"\n",
	"go:\n  dir: /src\n",
	"go:\n  env:\n    GOARCH: arm64\n",
	"go:\n  private: [\"a.com/*,b.com\"]\n",
	"builds:\n  - main: cmd/server\n",
	"builds:\n  - main: /src\n",
	"builds:\n  - binary: bin/x\n",
	"builds:\n  - id: -x\n",
	"builds:\n  - flags: [race]\n",
	"builds:\n  - tags: [\"a b\"]\n",
	"builds:\n  - env:\n      GOOS: windows\n",
	"images:\n  - env:\n      1X: a\n",
	"images:\n  - user: nobody\n",
	"images:\n  - name: binaries\n",
	"images:\n  - name: a/b\n",
	"images:\n  - expose: [http]\n",
	"images:\n  - expose: [0]\n",
	"images:\n  - expose: [70000]\n",
	"images:\n  - workdir: app\n",
	"images:\n  - labels: {\" \": x}\n",
	"images:\n  - annotations: {\"a b\": x}\n",
	"images:\n  - files:\n      - src: /etc/passwd\n        dst: /etc/passwd\n",
	"images:\n  - files:\n      - src: a\n        dst: /a\n        mode: rw\n",
	"images:\n  - files:\n      - src: a\n        dst: /a\n        owner: nobody\n",
	"images:\n  - files:\n      - src: a\n",
	"images:\n  - files:\n      - dst: /a\n",
	"test:\n  packages: [internal/...]\n",
	"test:\n  flags: [short]\n",
	"vulncheck:\n  db: vuln.example.com\n",
	"vulncheck:\n  version: 1.9\n",
	"vulncheck:\n  version: v1.9\n",
	"vulncheck:\n  packages: [cmd/...]\n",
}

// The schema accepts every example and every file spec.Parse accepts in
// the fixtures, and rejects the invalid files; spec.Parse agrees on each, so
// the lists stay honest.
func TestSchemaValidates(t *testing.T) {
	sch := compileSchema(t)
	examples, err := filepath.Glob("../examples/*/gobuild.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(examples) == 0 {
		t.Fatal("no ../examples/*/gobuild.yaml found")
	}
	type doc struct{ name, src string }
	var valid []doc
	for _, name := range examples {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		valid = append(valid, doc{name, string(src)})
	}
	for _, src := range validDocs {
		valid = append(valid, doc{fmt.Sprintf("%q", src), src})
	}
	for _, d := range valid {
		if _, err := spec.Parse("gobuild.yaml", []byte(d.src)); err != nil {
			t.Errorf("%s: spec.Parse rejects a valid fixture: %v", d.name, err)
		}
		if err := sch.Validate(yamlToJSON(t, d.src)); err != nil {
			t.Errorf("%s: the schema rejects what spec.Parse accepts: %v", d.name, err)
		}
	}
	for _, src := range invalidDocs {
		if _, err := spec.Parse("gobuild.yaml", []byte(src)); err == nil {
			t.Errorf("%q: spec.Parse accepts an invalid fixture", src)
		}
		if err := sch.Validate(yamlToJSON(t, src)); err == nil {
			t.Errorf("%q: the schema accepts what spec.Parse rejects", src)
		}
	}
}

// The names the schema forbids (copied from unexported lists of
// validate.go into the generator) are ones spec.Parse rejects.
func TestSchemaForbiddenNames(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(spec.Schema(), &root); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path   []string
		format string
	}{
		{[]string{"$defs", "Go", "properties", "env", "propertyNames", "not", "enum"}, "go:\n  env:\n    %s: x\n"},
		{[]string{"$defs", "Build", "properties", "env", "propertyNames", "not", "enum"}, "builds:\n  - env:\n      %s: x\n"},
		{[]string{"$defs", "Image", "properties", "name", "not", "enum"}, "images:\n  - name: %s\n"},
	} {
		var v any = root
		for _, k := range c.path {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		names, _ := v.([]any)
		if len(names) == 0 {
			t.Errorf("no list at %s", strings.Join(c.path, "/"))
		}
		for _, n := range names {
			src := fmt.Sprintf(c.format, n)
			if _, err := spec.Parse("gobuild.yaml", []byte(src)); err == nil {
				t.Errorf("%s lists %v, which spec.Parse accepts (%q): update spec/internal/genschema", strings.Join(c.path, "/"), n, src)
			}
		}
	}
}

// Every field the decoder knows is a property of the schema, of the right
// type, and the schema has no other property: a field added without
// go generate ./spec fails here (and in TestSchemaInSync).
func TestSchemaCoversFields(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(spec.Schema(), &root); err != nil {
		t.Fatal(err)
	}
	defs, _ := root["$defs"].(map[string]any)
	resolve := func(s any, path string) map[string]any {
		m, ok := s.(map[string]any)
		if !ok {
			t.Fatalf("%s: no schema", path)
		}
		if ref, ok := m["$ref"].(string); ok {
			def, ok := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
			if !ok {
				t.Fatalf("%s: $ref %s leads nowhere", path, ref)
			}
			return def
		}
		return m
	}
	hasType := func(s map[string]any, want, path string) {
		switch ty := s["type"].(type) {
		case string:
			if ty == want {
				return
			}
		case []any:
			if slices.Contains(ty, any(want)) {
				return
			}
		}
		t.Errorf("%s: type %v, want %s", path, s["type"], want)
	}
	var walk func(typ reflect.Type, s map[string]any, path string)
	walk = func(typ reflect.Type, s map[string]any, path string) {
		if typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch typ.Kind() {
		case reflect.Struct:
			hasType(s, "object", path)
			if s["additionalProperties"] != false {
				t.Errorf("%s: additionalProperties is %v, want false", path, s["additionalProperties"])
			}
			props, _ := s["properties"].(map[string]any)
			fields := spec.YamlFields(typ)
			for name, ft := range fields {
				p := strings.TrimPrefix(path+"."+name, ".")
				if _, ok := props[name]; !ok {
					t.Errorf("%s: field of spec.%s missing from the schema; run: go generate ./spec", p, typ.Name())
					continue
				}
				if d, _ := props[name].(map[string]any)["description"].(string); d == "" {
					t.Errorf("%s: no description (a doc comment on the field of spec.%s)", p, typ.Name())
				}
				walk(ft, resolve(props[name], p), p)
			}
			for name := range props {
				if _, ok := fields[name]; !ok {
					t.Errorf("%s: in the schema but not a field of spec.%s; run: go generate ./spec", strings.TrimPrefix(path+"."+name, "."), typ.Name())
				}
			}
		case reflect.Slice:
			hasType(s, "array", path)
			walk(typ.Elem(), resolve(s["items"], path+"[]"), path+"[]")
		case reflect.Map:
			hasType(s, "object", path)
			walk(typ.Elem(), resolve(s["additionalProperties"], path+".*"), path+".*")
		case reflect.String:
			hasType(s, "string", path)
		case reflect.Bool:
			hasType(s, "boolean", path)
		case reflect.Int:
			hasType(s, "integer", path)
		default:
			t.Errorf("%s: %s has no schema type in this test", path, typ)
		}
	}
	walk(reflect.TypeOf(spec.File{}), root, "")
}
