package frontend

import (
	"strings"

	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/pb"

	gbllb "github.com/gobuild/gobuild/llb"
	"github.com/gobuild/gobuild/spec"
)

// The subrequests gobuild answers (docker buildx build --call NAME):
// targets, outline and check (frontend.lint).

// location is where field's value starts in the file, for subrequest
// results (source index 0 is the file); nil when unknown.
func location(f *spec.File, field string) *pb.Location {
	pos := f.Pos(field)
	if pos.Line == 0 {
		return nil
	}
	return &pb.Location{Ranges: []*pb.Range{lineRange(pos)}}
}

// outlineOf lists what target of f reads: the build args with their
// defaults, the secrets and ssh agent of the module download, and the
// cache mounts.
func outlineOf(f *spec.File, target string, vendor bool, data []byte, cacheNS string) *outline.Outline {
	o := &outline.Outline{Name: target, Sources: [][]byte{data}}
	for _, t := range listTargets(f).Targets {
		if t.Name == target {
			o.Description = t.Description
		}
	}
	for _, a := range f.Args(target) {
		o.Args = append(o.Args, outline.Arg{Name: a.Name, Value: a.Default, Description: a.Description, Location: location(f, a.Field)})
	}
	if !vendor {
		// Both are optional: the download runs without them.
		o.Secrets = append(o.Secrets, outline.Secret{Name: gbllb.NetrcSecret, Location: location(f, "go")})
		if f.Go.SSH {
			o.Secrets = append(o.Secrets, outline.Secret{Name: gbllb.KnownHostsSecret, Location: location(f, "go.ssh")})
			o.SSH = append(o.SSH, outline.SSH{Name: gbllb.SSHID, Required: true, Location: location(f, "go.ssh")})
		}
	}
	o.Cache = append(o.Cache, outline.CacheMount{ID: gbllb.CacheID(cacheNS, gbllb.BuildCacheID)})
	return o
}

// check is --call check: every error a build of the file would stop at
// (loadErr, from the same load a build makes), and the risky settings
// spec.Lint finds, with their lines. It builds nothing.
func check(src *dockerui.Source, p *spec.Project, loadErr error) *lint.LintResults {
	res := &lint.LintResults{}
	si := res.AddSource(src.SourceMap)
	add := func(rule, msg string, pos spec.Pos) {
		loc := &pb.Location{SourceIndex: int32(si)}
		if pos.Line > 0 {
			loc.Ranges = []*pb.Range{lineRange(pos)}
		}
		res.Warnings = append(res.Warnings, lint.Warning{RuleName: rule, Description: ruleDescriptions[rule], Detail: msg, Location: loc})
	}
	if p.File != nil {
		for _, w := range spec.Lint(src.Filename, p.File) {
			add(w.Rule, (&spec.Error{File: w.File, Pos: w.Pos, Field: w.Field, Msg: w.Msg}).Error(), w.Pos)
		}
	}
	if loadErr == nil {
		return res
	}
	errs, ok := spec.AsErrors(loadErr)
	if !ok {
		errs = spec.Errors{&spec.Error{File: src.Filename, Msg: loadErr.Error()}}
	}
	for _, e := range errs {
		add(e.RuleName(), e.Error(), e.Pos)
	}
	res.Error = &lint.BuildError{Message: "a build of " + src.Filename + " would fail: " + errs[0].Error(), Location: pb.Location{SourceIndex: int32(si)}}
	if errs[0].Pos.Line > 0 {
		res.Error.Location.Ranges = []*pb.Range{lineRange(errs[0].Pos)}
	}
	return res
}

// ruleDescriptions are the check's rules: spec.Lint's and the errors'.
var ruleDescriptions = func() map[string]string {
	m := map[string]string{
		spec.RuleUnknownField: "A field gobuild does not know: a build fails",
		spec.RuleInvalidValue: "A value gobuild cannot use: a build fails",
		spec.RuleInvalidYAML:  "The file is not valid YAML: a build fails",
	}
	for k, v := range spec.Rules {
		m[k] = v
	}
	return m
}()

func listTargets(f *spec.File) *targets.List {
	l := &targets.List{}
	for i, im := range f.Images {
		l.Targets = append(l.Targets, targets.Target{
			Name:        im.Name,
			Default:     i == 0,
			Description: "image with " + strings.Join(im.Builds, ", "),
		})
	}
	l.Targets = append(l.Targets, targets.Target{
		Name:        gbllb.BinariesTarget,
		Description: "just the binaries, for -o type=local",
	}, targets.Target{
		Name:        gbllb.TestTarget,
		Description: "go vet and go test " + strings.Join(f.Test.Packages, " "),
	}, targets.Target{
		Name:        gbllb.VulncheckTarget,
		Description: "govulncheck " + strings.Join(f.Vulncheck.Packages, " ") + " against " + f.Vulncheck.DB,
	})
	return l
}
