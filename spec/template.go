package spec

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"text/template"
)

var reMissingKey = regexp.MustCompile(`map has no entry for key "([^"]*)"`)

// expand executes one template; lenient accepts build args that are not set
// (for checking templates before the build args are known).
func expand(text string, v Values, lenient bool) (string, error) {
	if !strings.Contains(text, "{{") {
		return text, nil
	}
	missing := "missingkey=error"
	if lenient {
		missing = "missingkey=zero"
	}
	t, err := template.New("").Option(missing).Parse(text)
	if err != nil {
		return "", errors.New(strings.TrimPrefix(err.Error(), "template: :1: "))
	}
	if v.Args == nil {
		v.Args = map[string]string{}
	}
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		if m := reMissingKey.FindStringSubmatch(err.Error()); m != nil {
			return "", fmt.Errorf("build arg %s is not set (pass --build-arg %s=...)", m[1], m[1])
		}
		msg := err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return "", fmt.Errorf("%s; templates can use .Version .Commit .Date .Os .Arch .Variant .Args.NAME", msg)
	}
	return b.String(), nil
}

// templated visits every templated string of f with its field path.
func (f *File) templated(visit func(field Path, s *string)) {
	for i := range f.Builds {
		b := &f.Builds[i]
		for j := range b.Ldflags {
			visit(BuildPath(i).Dot("ldflags").Index(j), &b.Ldflags[j])
		}
		visitMap(BuildPath(i).Dot("env"), b.Env, visit)
	}
	for i := range f.Images {
		im := &f.Images[i]
		p := ImagePath(i)
		visitMap(p.Dot("env"), im.Env, visit)
		visitMap(p.Dot("labels"), im.Labels, visit)
		visitMap(p.Dot("annotations"), im.Annotations, visit)
	}
}

func visitMap(path Path, m map[string]string, visit func(Path, *string)) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		visit(path.Dot(k), &v)
		m[k] = v
	}
}

// Render returns a copy of the resolved file f with every template
// expanded with v.
func (f *File) Render(filename string, v Values) (*File, error) {
	r := f.clone()
	var errs Errors
	r.templated(func(field Path, s *string) {
		out, err := expand(*s, v, false)
		if err != nil {
			errs = append(errs, &Error{File: filename, Pos: f.Pos(string(field)), Field: string(field), Msg: err.Error()})
			return
		}
		*s = out
	})
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

// clone copies f deeply enough that rendering the copy leaves f alone.
func (f *File) clone() *File {
	r := *f
	r.Builds = slices.Clone(f.Builds)
	for i := range r.Builds {
		b := &r.Builds[i]
		b.Ldflags = slices.Clone(b.Ldflags)
		b.Env = maps.Clone(b.Env)
		b.Platforms = slices.Clone(b.Platforms)
	}
	r.Images = slices.Clone(f.Images)
	for i := range r.Images {
		im := &r.Images[i]
		im.Env = maps.Clone(im.Env)
		im.Labels = maps.Clone(im.Labels)
		im.Annotations = maps.Clone(im.Annotations)
	}
	return &r
}
