package spec

import (
	"fmt"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
)

// Arg is a build arg a gobuild.yaml reads.
type Arg struct {
	Name        string
	Default     string // the value without --build-arg
	Description string
	Field       string // where the file uses it; "" when gobuild reads it itself
}

// Args returns the build args f (resolved) reads for target: the ones
// gobuild always reads, then those its templates name (.Args.NAME), in
// file order.
func (f *File) Args(target string) []Arg {
	args := []Arg{
		{Name: "VERSION", Default: "dev", Description: "the version: .Version in templates, the org.opencontainers.image.version label"},
		{Name: "COMMIT", Description: "the commit: .Commit in templates and the revision label; default: the git revision buildx reports"},
		{Name: "SOURCE_DATE_EPOCH", Description: "seconds since 1970: the time of every file and of the image, .Date in templates"},
	}
	env := f.GoEnv(nil)
	for _, k := range GoArgs {
		a := Arg{Name: k, Default: env[k], Description: "go environment " + k + " for every go command"}
		if _, ok := f.Go.Env[k]; ok {
			a.Field = Path("go.env").Dot(k).String()
		} else if k == "GOPRIVATE" && len(f.Go.Private) > 0 {
			a.Field = "go.private"
		}
		args = append(args, a)
	}
	if target == "vulncheck" {
		args = append(args, Arg{Name: "GOVULNDB", Default: f.Vulncheck.DB, Description: "the vulnerability database govulncheck reads", Field: "vulncheck.db"})
	}
	type use struct {
		field string
		pos   Pos
	}
	uses := map[string]use{}
	f.templated(func(field Path, s *string) {
		for _, name := range templateArgs(*s) {
			p := f.Pos(string(field))
			if u, ok := uses[name]; !ok || p.Compare(u.pos) < 0 {
				uses[name] = use{string(field), p}
			}
		}
	})
	names := sortedKeys(uses)
	sortByPos(names, func(name string) Pos { return uses[name].pos })
	for _, name := range names {
		if slices.ContainsFunc(args, func(a Arg) bool { return a.Name == name }) {
			continue
		}
		args = append(args, Arg{Name: name, Description: fmt.Sprintf("read by %s (.Args.%s); the build fails when it is not set", uses[name].field, name), Field: uses[name].field})
	}
	return args
}

// templateArgs returns the build args a template names as .Args.NAME or
// index .Args "NAME", sorted.
func templateArgs(text string) []string {
	if !strings.Contains(text, "{{") {
		return nil
	}
	t, err := template.New("").Parse(text)
	if err != nil || t.Tree == nil {
		return nil
	}
	seen := map[string]bool{}
	var walk func(n parse.Node)
	list := func(l *parse.ListNode) {
		if l != nil {
			for _, c := range l.Nodes {
				walk(c)
			}
		}
	}
	pipe := func(p *parse.PipeNode) {
		if p != nil {
			for _, c := range p.Cmds {
				walk(c)
			}
		}
	}
	branch := func(b *parse.BranchNode) {
		pipe(b.Pipe)
		list(b.List)
		list(b.ElseList)
	}
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			list(n)
		case *parse.ActionNode:
			pipe(n.Pipe)
		case *parse.IfNode:
			branch(&n.BranchNode)
		case *parse.RangeNode:
			branch(&n.BranchNode)
		case *parse.WithNode:
			branch(&n.BranchNode)
		case *parse.PipeNode:
			pipe(n)
		case *parse.CommandNode:
			if len(n.Args) == 3 {
				if id, ok := n.Args[0].(*parse.IdentifierNode); ok && id.Ident == "index" {
					if fn, ok := n.Args[1].(*parse.FieldNode); ok && slices.Equal(fn.Ident, []string{"Args"}) {
						if s, ok := n.Args[2].(*parse.StringNode); ok {
							seen[s.Text] = true
						}
					}
				}
			}
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode:
			if len(n.Ident) >= 2 && n.Ident[0] == "Args" {
				seen[n.Ident[1]] = true
			}
		}
	}
	list(t.Tree.Root)
	return sortedKeys(seen)
}
