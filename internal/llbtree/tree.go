// Package llbtree renders an LLB definition as a readable, deterministic tree,
// for golden tests and for debugging.
package llbtree

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// Render prints def from its final op down. Each op is printed once, with a
// number; later references to it print only the number.
func Render(def *bk.Definition) (string, error) {
	ops := map[digest.Digest]*pb.Op{}
	var last digest.Digest
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			return "", err
		}
		d := digest.FromBytes(dt)
		ops[d] = &op
		last = d
	}
	r := &renderer{ops: ops, meta: def.Metadata, seen: map[digest.Digest]int{}}
	term, ok := ops[last]
	if !ok || len(term.Inputs) != 1 {
		return "", fmt.Errorf("definition has no single final op")
	}
	r.op(digest.Digest(term.Inputs[0].Digest), term.Inputs[0].Index, 0)
	return r.b.String(), nil
}

type renderer struct {
	ops  map[digest.Digest]*pb.Op
	meta map[digest.Digest]bk.OpMetadata
	seen map[digest.Digest]int
	b    strings.Builder
}

func (r *renderer) line(depth int, format string, args ...any) {
	r.b.WriteString(strings.Repeat("  ", depth))
	fmt.Fprintf(&r.b, format, args...)
	r.b.WriteString("\n")
}

// op prints the op d, whose output index is the one used.
func (r *renderer) op(d digest.Digest, output int64, depth int) {
	out := ""
	if output != 0 {
		out = fmt.Sprintf(" output %d", output)
	}
	if n, ok := r.seen[d]; ok {
		r.line(depth, "#%d%s (above)", n, out)
		return
	}
	n := len(r.seen) + 1
	r.seen[d] = n
	op := r.ops[d]
	if op == nil {
		r.line(depth, "#%d missing op %s", n, d)
		return
	}
	name := ""
	if m, ok := r.meta[d]; ok && m.Description["llb.customname"] != "" {
		name = fmt.Sprintf(" %q", m.Description["llb.customname"])
	}
	plat := ""
	if p := op.Platform; p != nil {
		plat = " [" + p.OS + "/" + p.Architecture
		if p.Variant != "" {
			plat += "/" + p.Variant
		}
		plat += "]"
	}
	input := func(i int64, depth int) {
		if i < 0 || int(i) >= len(op.Inputs) {
			r.line(depth, "scratch")
			return
		}
		in := op.Inputs[i]
		r.op(digest.Digest(in.Digest), in.Index, depth)
	}
	switch o := op.Op.(type) {
	case *pb.Op_Source:
		r.line(depth, "#%d source %s%s%s", n, o.Source.Identifier, plat, out)
		for _, k := range sortedKeys(o.Source.Attrs) {
			r.line(depth+2, "%s=%s", k, o.Source.Attrs[k])
		}
	case *pb.Op_Exec:
		e := o.Exec
		r.line(depth, "#%d exec%s%s%s", n, name, plat, out)
		r.line(depth+2, "args: %s", quoteAll(e.Meta.Args))
		for _, env := range e.Meta.Env {
			r.line(depth+2, "env: %s", env)
		}
		r.line(depth+2, "cwd: %s", e.Meta.Cwd)
		if e.Meta.User != "" {
			r.line(depth+2, "user: %s", e.Meta.User)
		}
		if e.Network != pb.NetMode_UNSET {
			r.line(depth+2, "network: %s", e.Network)
		}
		for _, m := range e.Mounts {
			desc := "mount " + m.Dest
			if m.Selector != "" {
				desc += " from " + m.Selector
			}
			if m.Readonly {
				desc += " readonly"
			}
			if m.Output >= 0 && m.MountType == pb.MountType_BIND {
				desc += fmt.Sprintf(" (output %d)", m.Output)
			}
			switch m.MountType {
			case pb.MountType_CACHE:
				r.line(depth+2, "%s cache id=%s sharing=%s", desc, m.CacheOpt.ID, m.CacheOpt.Sharing)
			case pb.MountType_SECRET:
				r.line(depth+2, "%s secret id=%s optional=%v", desc, m.SecretOpt.ID, m.SecretOpt.Optional)
			case pb.MountType_SSH:
				r.line(depth+2, "%s ssh id=%s optional=%v", desc, m.SSHOpt.ID, m.SSHOpt.Optional)
			case pb.MountType_TMPFS:
				r.line(depth+2, "%s tmpfs", desc)
			default:
				r.line(depth+2, "%s:", desc)
				input(m.Input, depth+3)
			}
		}
	case *pb.Op_File:
		r.line(depth, "#%d file%s%s%s", n, name, plat, out)
		for i, a := range o.File.Actions {
			r.fileAction(i, a, op, depth+2)
		}
	case *pb.Op_Merge:
		r.line(depth, "#%d merge%s%s", n, name, out)
		for _, in := range o.Merge.Inputs {
			input(in.Input, depth+2)
		}
	case *pb.Op_Diff:
		r.line(depth, "#%d diff%s%s", n, name, out)
		r.line(depth+2, "lower:")
		input(o.Diff.Lower.Input, depth+3)
		r.line(depth+2, "upper:")
		input(o.Diff.Upper.Input, depth+3)
	default:
		dt, _ := json.Marshal(op.Op)
		r.line(depth, "#%d %s%s", n, dt, out)
		for i := range op.Inputs {
			input(int64(i), depth+2)
		}
	}
}

// fileAction prints action i; its inputs are op inputs or earlier actions' outputs.
func (r *renderer) fileAction(i int, a *pb.FileAction, op *pb.Op, depth int) {
	ref := func(idx int64) func(int) {
		return func(depth int) {
			switch {
			case idx == -1:
				r.line(depth, "scratch")
			case int(idx) < len(op.Inputs):
				in := op.Inputs[idx]
				r.op(digest.Digest(in.Digest), in.Index, depth)
			default:
				r.line(depth, "action %d", int(idx)-len(op.Inputs))
			}
		}
	}
	switch x := a.Action.(type) {
	case *pb.FileAction_Copy:
		c := x.Copy
		var opts []string
		if c.DirCopyContents {
			opts = append(opts, "contents")
		}
		if c.CreateDestPath {
			opts = append(opts, "mkdir-p")
		}
		if c.AllowWildcard {
			opts = append(opts, "wildcard")
		}
		if c.AllowEmptyWildcard {
			opts = append(opts, "allow-empty")
		}
		if c.FollowSymlink {
			opts = append(opts, "follow-symlinks")
		}
		if c.ModeStr != "" {
			opts = append(opts, "mode="+c.ModeStr)
		} else if c.Mode != -1 && c.Mode != 0 {
			opts = append(opts, fmt.Sprintf("mode=%o", c.Mode))
		}
		if c.Owner != nil {
			opts = append(opts, "owner="+chown(c.Owner))
		}
		if c.Timestamp != -1 && c.Timestamp != 0 {
			opts = append(opts, fmt.Sprintf("time=%d", c.Timestamp))
		}
		if len(c.IncludePatterns) > 0 {
			opts = append(opts, "include="+strings.Join(c.IncludePatterns, ","))
		}
		if len(c.ExcludePatterns) > 0 {
			opts = append(opts, "exclude="+strings.Join(c.ExcludePatterns, ","))
		}
		r.line(depth, "copy %s -> %s %s", c.Src, c.Dest, strings.Join(opts, " "))
		r.line(depth+1, "from:")
		ref(a.SecondaryInput)(depth + 2)
		r.line(depth+1, "onto:")
		ref(a.Input)(depth + 2)
	case *pb.FileAction_Mkfile:
		m := x.Mkfile
		data := fmt.Sprintf("%q", m.Data)
		if len(m.Data) > 200 {
			// Long contents (an embedded program) by size and digest only.
			data = fmt.Sprintf("(%d bytes, %s)", len(m.Data), digest.FromBytes(m.Data))
		}
		r.line(depth, "mkfile %s mode=%o owner=%s time=%d %s", m.Path, m.Mode, chown(m.Owner), m.Timestamp, data)
		r.line(depth+1, "onto:")
		ref(a.Input)(depth + 2)
	case *pb.FileAction_Mkdir:
		m := x.Mkdir
		r.line(depth, "mkdir %s mode=%o parents=%v owner=%s time=%d", m.Path, m.Mode, m.MakeParents, chown(m.Owner), m.Timestamp)
		r.line(depth+1, "onto:")
		ref(a.Input)(depth + 2)
	case *pb.FileAction_Symlink:
		s := x.Symlink
		r.line(depth, "symlink %s -> %s", s.Newpath, s.Oldpath)
		r.line(depth+1, "onto:")
		ref(a.Input)(depth + 2)
	case *pb.FileAction_Rm:
		r.line(depth, "rm %s allow-not-found=%v wildcard=%v", x.Rm.Path, x.Rm.AllowNotFound, x.Rm.AllowWildcard)
		r.line(depth+1, "onto:")
		ref(a.Input)(depth + 2)
	default:
		dt, _ := json.Marshal(a.Action)
		r.line(depth, "action %d %s", i, dt)
	}
}

func chown(o *pb.ChownOpt) string {
	if o == nil {
		return "-"
	}
	id := func(u *pb.UserOpt) string {
		if u == nil {
			return ""
		}
		if n := u.GetByName(); n != nil {
			return n.Name
		}
		return fmt.Sprint(u.GetByID())
	}
	return id(o.User) + ":" + id(o.Group)
}

func quoteAll(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'\\$") {
			a = fmt.Sprintf("%q", a)
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
