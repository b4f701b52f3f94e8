// Package genschema generates gobuild.schema.json, the JSON Schema of
// gobuild.yaml, from the Go types of package spec and their doc comments.
//
// It lives apart from package spec so that the frontend, which embeds the
// generated file through spec.Schema, does not link the reflection library.
// go generate ./spec runs it through ./cmd; a test in package spec checks
// that the checked-in file is what Generate returns.
package genschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/gobuild/gobuild/spec"
	"github.com/invopop/jsonschema"
)

// ID is the $id of the schema.
const ID = "https://github.com/gobuild/gobuild/spec/gobuild.schema.json"

// pkgPath is the import path of package spec, the prefix of the keys of the
// comment map.
const pkgPath = "github.com/gobuild/gobuild/spec"

// Generate returns the schema as 2-space indented JSON with a trailing
// newline. It reads the doc comments of package spec from the source files
// in the current directory, which must be the directory of package spec (as
// it is under go generate and go test).
func Generate() ([]byte, error) {
	if src, err := os.ReadFile("spec.go"); err != nil || !bytes.Contains(src, []byte("\npackage spec\n")) {
		return nil, fmt.Errorf("genschema: run in the directory of package spec (no spec.go of package spec here)")
	}
	r := &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: true, // every field is optional
		ExpandedStruct:             true, // File is the root, not a $ref
		Anonymous:                  true, // the $id is set below
	}
	// AddGoComments keys comments by the import path of the directory it
	// walks, joined to the given base: the directory must be ".".
	if err := r.AddGoComments(pkgPath, ".", jsonschema.WithFullComment()); err != nil {
		return nil, fmt.Errorf("genschema: reading doc comments: %w", err)
	}
	for k, v := range r.CommentMap {
		r.CommentMap[k] = tidy(v)
	}
	for _, name := range []string{"File", "Go", "Build", "Image", "ImageFile", "Test", "Vulncheck"} {
		if r.CommentMap[pkgPath+"."+name] == "" {
			return nil, fmt.Errorf("genschema: no doc comment found for spec.%s", name)
		}
	}

	s := r.Reflect(&spec.File{})
	s.ID = ID
	s.Title = "gobuild.yaml"
	s.Comments = "Generated from the Go types of package github.com/gobuild/gobuild/spec by spec/internal/genschema; do not edit. Run: go generate ./spec"

	// Every value may be null: an empty value means the default.
	s.Type, s.Extras = "", map[string]any{"type": []string{"object", "null"}}
	used := map[string]bool{}
	if err := apply(s, "File", used); err != nil {
		return nil, err
	}
	for name, def := range s.Definitions {
		if def.Type != "object" {
			return nil, fmt.Errorf("genschema: $defs/%s is a %s, not an object", name, def.Type)
		}
		def.Type, def.Extras = "", map[string]any{"type": []string{"object", "null"}}
		if err := apply(def, name, used); err != nil {
			return nil, err
		}
		for _, rule := range defRules[name] {
			rule(def)
		}
	}
	for key := range rules {
		if !used[key] { // a field renamed or removed
			return nil, fmt.Errorf("genschema: rule for %s matches no field", key)
		}
	}

	out, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return format(out)
}

// scalar is what a string field takes: yaml.v3 reads any scalar (8080,
// 1.26, true) into a string as its text, and an empty value as "".
var scalar = []string{"string", "number", "boolean", "null"}

// apply gives the properties of the object schema s (of the Go type named
// def) the types the decoder accepts, then the rules for them, noting in
// used the rules that applied.
func apply(s *jsonschema.Schema, def string, used map[string]bool) error {
	if s.Properties == nil {
		return fmt.Errorf("genschema: $defs/%s has no properties", def)
	}
	for pair := s.Properties.Oldest(); pair != nil; pair = pair.Next() {
		name, p := pair.Key, pair.Value
		if err := loosen(p, def+"."+name); err != nil {
			return err
		}
		key := def + "." + name
		for _, rule := range rules[key] {
			rule(p)
		}
		used[key] = true
	}
	return nil
}

// loosen turns the type invopop gives a property into the set of JSON types
// the decoder accepts for it. References to structs stay: their $defs take
// null.
func loosen(p *jsonschema.Schema, where string) error {
	switch p.Type {
	case "":
		if p.Ref == "" {
			return fmt.Errorf("genschema: %s has neither a type nor a $ref", where)
		}
	case "string":
		setType(p, scalar...)
	case "boolean", "integer":
		setType(p, p.Type, "null")
	case "array":
		setType(p, "array", "null")
		return loosen(p.Items, where+"[]")
	case "object": // a map: structs are $refs
		if p.AdditionalProperties == nil || p.AdditionalProperties.Type != "string" {
			return fmt.Errorf("genschema: %s is a map of something other than strings", where)
		}
		setType(p, "object", "null")
		setType(p.AdditionalProperties, scalar...)
	default:
		return fmt.Errorf("genschema: %s has unexpected type %s", where, p.Type)
	}
	return nil
}

// setType sets the type keyword to a list of types, which invopop's Schema
// cannot hold in its Type field.
func setType(s *jsonschema.Schema, types ...string) {
	s.Type = ""
	if s.Extras == nil {
		s.Extras = map[string]any{}
	}
	if len(types) == 1 {
		s.Extras["type"] = types[0]
	} else {
		s.Extras["type"] = types
	}
}

type rule func(*jsonschema.Schema)

func types(t ...string) rule         { return func(s *jsonschema.Schema) { setType(s, t...) } }
func pattern(p string) rule          { return func(s *jsonschema.Schema) { s.Pattern = p } }
func dflt(v any) rule                { return func(s *jsonschema.Schema) { s.Default = v } }
func examples(v ...any) rule         { return func(s *jsonschema.Schema) { s.Examples = v } }
func required(n ...string) rule      { return func(s *jsonschema.Schema) { s.Required = n } }
func keys(k *jsonschema.Schema) rule { return func(s *jsonschema.Schema) { s.PropertyNames = k } }
func notOneOf(v ...any) rule {
	return func(s *jsonschema.Schema) { s.Not = &jsonschema.Schema{Enum: v} }
}
func between(lo, hi int) rule {
	return func(s *jsonschema.Schema) {
		s.Minimum, s.Maximum = json.Number(fmt.Sprint(lo)), json.Number(fmt.Sprint(hi))
	}
}
func items(rs ...rule) rule {
	return func(s *jsonschema.Schema) {
		for _, r := range rs {
			r(s.Items)
		}
	}
}

// Patterns mirror the checks of spec/validate.go that a regular expression
// can make; each allows "" where validate lets an empty value through (it
// means the default). They are written in the common subset of RE2 and
// ECMA-262 regular expressions. Patterns only apply to strings, so numbers
// (e.g. mode: 0444 or expose: [8080]) are not held to them.
const (
	reOptGoVersion = `^(1\.[0-9]+(\.[0-9]+|(rc|beta)[0-9]+)?)?$`
	reOptID        = `^([a-zA-Z0-9][a-zA-Z0-9._-]*)?$`
	reOptBinary    = `^([a-zA-Z0-9][a-zA-Z0-9._+-]*)?$`
	reOptUser      = `^([0-9]+(:[0-9]+)?)?$`
	reOptOwner     = `^([0-9]+:[0-9]+)?$`
	reOptMode      = `^(0?[0-7]{3})?$`
	reEnvName      = `^[A-Za-z_][A-Za-z0-9_]*$`
	reTag          = `^[A-Za-z0-9_.]+$`
	rePort         = `^([0-9]{1,5})(/(tcp|udp|sctp))?$`
	reFlag         = `^-`
	rePackages     = `^\.(/.*)?$`                // ".", "./..." or "./x/..."
	reOptMain      = `^(\.|\./.*)?$`             // ".", "./cmd/x"
	reOptDir       = `^([^/\\*?\[][^\\*?\[]*)?$` // relative, no wildcards
	reOptAbsPath   = `^(/.*)?$`
	reAbsPath      = `^/`
	reRelPath      = `^[^/]`
	rePrivate      = `^[^, \t\n]+$`
	reOptVulnDB    = `^((https?|file)://.+)?$`
	reOptSemver    = `^(v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?)?$`
)

// ownedEnv and reservedTargets copy unexported lists of spec/validate.go;
// a test checks that spec.Parse rejects each of them.
var (
	ownedEnv        = []any{"GOOS", "GOARCH", "GOARM", "GOAMD64", "CGO_ENABLED", "GOTOOLCHAIN", "GOCACHE", "GOMODCACHE"}
	reservedTargets = []any{"binaries", "test", "vulncheck"}
)

func envNames(owned bool) *jsonschema.Schema {
	k := &jsonschema.Schema{Pattern: reEnvName}
	if owned {
		k.Not = &jsonschema.Schema{Enum: ownedEnv}
	}
	return k
}

// nonEmpty is the type of a list item validate rejects when empty.
var nonEmpty = []string{"string", "number", "boolean"}

// defRules refine the object schemas of Go types.
var defRules = map[string][]rule{
	"ImageFile": {required("src", "dst")}, // validate requires both
}

// rules refine properties, by Go type name and yaml field name.
var rules = map[string][]rule{
	"File.version": {between(0, 1), dflt(1)},

	"Go.version": {pattern(reOptGoVersion), examples("1.26", "1.26.2")},
	"Go.image":   {examples("docker.io/library/golang:1.26")},
	"Go.dir":     {pattern(reOptDir), dflt("."), examples("services/api")},
	"Go.env":     {keys(envNames(true)), examples(map[string]any{"GOFLAGS": "-mod=readonly"})},
	"Go.private": {items(types(nonEmpty...), pattern(rePrivate), examples("github.com/acme/*"))},
	"Go.ssh":     {dflt(false)},

	"Build.id":        {pattern(reOptID)},
	"Build.main":      {types("string", "null"), pattern(reOptMain), dflt("."), examples("./cmd/server")},
	"Build.binary":    {pattern(reOptBinary)},
	"Build.ldflags":   {items(examples("-X main.version={{.Version}}"))},
	"Build.flags":     {items(types(nonEmpty...), pattern(reFlag), examples("-race", "-mod=vendor"))},
	"Build.tags":      {items(types(nonEmpty...), pattern(reTag))},
	"Build.env":       {keys(envNames(true))},
	"Build.strip":     {dflt(true)},
	"Build.trimpath":  {dflt(true)},
	"Build.platforms": {items(types("string"), examples("linux/amd64", "linux/arm64", "linux/arm/v7"))},

	"Image.name":        {pattern(reOptID), notOneOf(reservedTargets...)},
	"Image.base":        {dflt("scratch"), examples("scratch", "distroless", "docker.io/library/alpine:3.22")},
	"Image.entrypoint":  {items(examples("/usr/local/bin/server"))},
	"Image.user":        {pattern(reOptUser), dflt(spec.DefaultUser)},
	"Image.workdir":     {types("string", "null"), pattern(reOptAbsPath), dflt("/")},
	"Image.env":         {keys(envNames(false))},
	"Image.expose":      {items(types("string", "integer"), pattern(rePort), between(1, 65535), examples("8080", "53/udp"))},
	"Image.labels":      {keys(&jsonschema.Schema{Pattern: `\S`})},
	"Image.annotations": {keys(&jsonschema.Schema{Pattern: `^[^ \t\n]+$`})},

	"ImageFile.src":   {pattern(reRelPath), examples("static/")},
	"ImageFile.dst":   {types("string", "null"), pattern(reAbsPath), examples("/app/static/")},
	"ImageFile.mode":  {pattern(reOptMode), examples("0444", "0755")},
	"ImageFile.owner": {pattern(reOptOwner), examples("65532:65532")},

	"Test.packages": {items(types("string"), pattern(rePackages)), dflt([]any{"./..."})},
	"Test.flags":    {items(types(nonEmpty...), pattern(reFlag), examples("-race", "-count=1"))},
	"Test.vet":      {dflt(true)},

	"Vulncheck.packages": {items(types("string"), pattern(rePackages)), dflt([]any{"./..."})},
	"Vulncheck.db":       {types("string", "null"), pattern(reOptVulnDB), dflt(spec.DefaultVulnDB)},
	"Vulncheck.version":  {types("string", "null"), pattern(reOptSemver), dflt(spec.DefaultVulncheckVersion)},
}

// tidy turns a Go doc comment into a description: wrapped lines joined,
// paragraphs kept, Go names a gobuild.yaml author does not see replaced.
func tidy(c string) string {
	paras := strings.Split(strings.TrimSpace(c), "\n\n")
	for i, p := range paras {
		paras[i] = strings.Join(strings.Fields(p), " ")
	}
	c = strings.Join(paras, "\n\n")
	return strings.NewReplacer(
		"DefaultVulncheckVersion", spec.DefaultVulncheckVersion,
		"win for GoArgs", "win for "+strings.Join(spec.GoArgs, ", "),
		"(see Values)", "(Go template: "+templateValues()+")",
	).Replace(c)
}

// templateValues lists what templates can use, from spec.Values.
func templateValues() string {
	t := reflect.TypeOf(spec.Values{})
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Type.Kind() == reflect.Map {
			names = append(names, "{{."+f.Name+".NAME}}")
		} else {
			names = append(names, "{{."+f.Name+"}}")
		}
	}
	return strings.Join(names, ", ")
}
