package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse decodes a gobuild.yaml strictly: unknown fields, wrong types and
// invalid values are errors that name the file, line, column and field.
// filename, the name the user gave the file, is in every message and is
// carried as File.Filename.
func Parse(filename string, data []byte) (*File, error) {
	if len(data) > MaxFileSize {
		return nil, Errors{{File: filename, Msg: fmt.Sprintf("the file is %d bytes; gobuild reads at most %d (1 MiB)", len(data), MaxFileSize)}}
	}
	f := &File{pos: positions{}, name: filename}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return f, nil // empty file (comments only): every default applies
		}
		return nil, yamlError(filename, data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlError(filename, data, err)
		}
		return nil, Errors{{File: filename, Pos: Pos{extra.Line, extra.Column}, Msg: "more than one YAML document; gobuild.yaml holds exactly one"}}
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return f, nil
		}
		doc = doc.Content[0]
	}
	c := checker{file: filename, pos: f.pos}
	c.check(doc, reflect.TypeOf(File{}), "")
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	if err := doc.Decode(f); err != nil {
		return nil, Errors{{File: filename, Msg: err.Error()}} // check should have caught it
	}
	f.locate()
	if errs := f.validate(); len(errs) > 0 {
		return nil, errs
	}
	return f, nil
}

// MaxFileSize is the largest gobuild.yaml gobuild reads, in bytes.
const MaxFileSize = 1 << 20

// maxValues bounds how many values the checker visits, counting every use
// of a YAML alias again: a file of aliases to aliases (a "billion laughs")
// otherwise stands for more values than memory holds.
const maxValues = 100_000

type checker struct {
	file   string
	pos    positions
	errs   Errors
	values int  // visited so far
	bomb   bool // maxValues reached and reported
	// via is the outermost alias the value being checked is reached
	// through, and its field: where a bomb is reported.
	via     *yaml.Node
	viaPath Path
}

func (c *checker) fail(n *yaml.Node, path Path, format string, args ...any) {
	c.failRule("", n, path, format, args...)
}

// failRule is fail for a problem that breaks rule (see Error.Rule).
func (c *checker) failRule(rule string, n *yaml.Node, path Path, format string, args ...any) {
	c.errs = append(c.errs, &Error{File: c.file, Pos: Pos{n.Line, n.Column}, Field: string(path), Msg: fmt.Sprintf(format, args...), Rule: rule})
}

// check verifies that node fits type t, recording positions as it goes.
func (c *checker) check(n *yaml.Node, t reflect.Type, path Path) {
	if c.bomb {
		return
	}
	if c.values++; c.values > maxValues {
		c.bomb = true
		at, p := n, path
		if c.via != nil {
			at, p = c.via, c.viaPath
		}
		c.fail(at, p, "the file stands for more than %d values (counting each use of an alias); gobuild.yaml takes at most that many", maxValues)
		return
	}
	if n.Kind == yaml.AliasNode && c.via == nil {
		c.via, c.viaPath = n, path
		defer func() { c.via, c.viaPath = nil, "" }()
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if path != "" {
		c.pos[path] = Pos{n.Line, n.Column}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value means the default
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			c.fail(n, path, "must be a mapping, not %s", describe(n))
			return
		}
		fields := yamlFields(t)
		c.duplicates(n, path)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			name := k.Value
			ft, ok := fields[name]
			p := path.Dot(name)
			if !ok && name == "<<" && k.Tag == "!!merge" {
				c.fail(k, p, "YAML merge keys (<<) are not supported; write the fields out")
				continue
			}
			if !ok {
				msg := fmt.Sprintf("unknown field %q", name)
				if s := suggest(name, sortedKeys(fields)); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				c.failRule(RuleUnknownField, k, p, "%s; allowed: %s", msg, strings.Join(sortedKeys(fields), ", "))
				continue
			}
			c.check(v, ft, p)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			c.fail(n, path, "must be a list, not %s", describe(n))
			return
		}
		for i, e := range n.Content {
			c.check(e, t.Elem(), path.Index(i))
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			c.fail(n, path, "must be a mapping, not %s", describe(n))
			return
		}
		c.duplicates(n, path)
		for i := 0; i+1 < len(n.Content); i += 2 {
			c.check(n.Content[i+1], t.Elem(), path.Dot(n.Content[i].Value))
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			c.fail(n, path, "must be a string, not %s", describe(n))
		}
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			c.fail(n, path, "must be an integer, not %s", describe(n))
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			c.fail(n, path, "must be true or false, not %s", describe(n))
		}
	default:
		panic(fmt.Sprintf("spec: unsupported field type %s", t))
	}
}

// duplicates reports keys given twice in one mapping.
func (c *checker) duplicates(n *yaml.Node, path Path) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if line, ok := seen[k.Value]; ok {
			c.fail(k, path.Dot(k.Value), "given twice (first at line %d)", line)
		}
		seen[k.Value] = k.Line
	}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!str":
		return strconv.Quote(n.Value)
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	}
	return n.Value
}

// yamlFields maps the yaml names of t's exported fields to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = f.Type
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// suggest returns the candidate nearest to s, if it is near enough to be a typo.
func suggest(s string, candidates []string) string {
	best, bestDist := "", len(s)/2+2
	for _, c := range candidates {
		if d := levenshtein(strings.ToLower(s), c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
