package frontend

import (
	"errors"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"

	"github.com/gobuild/gobuild/spec"
)

// Source maps: the lines of gobuild.yaml that BuildKit clients show under
// a failed step or an error.

// locator maps a gobuild.yaml field to its lines, for the steps made for it.
func locator(f *spec.File, sm *bk.SourceMap) func(string) bk.ConstraintsOpt {
	return func(field string) bk.ConstraintsOpt {
		pos := f.Pos(field)
		if sm == nil || pos.Line == 0 {
			return nil
		}
		return sm.Location([]*pb.Range{lineRange(pos)})
	}
}

// lineRange is pos's line.
func lineRange(pos spec.Pos) *pb.Range {
	return &pb.Range{Start: &pb.Position{Line: int32(pos.Line)}, End: &pb.Position{Line: int32(pos.Line)}}
}

// withSource attaches gobuild.yaml and the lines of the problems err
// carries (spec.Errors, wrapped or not), so that BuildKit clients print
// them under the message. Build calls it once, on whatever it returns.
func withSource(err error, sm *bk.SourceMap) error {
	var errs spec.Errors
	if err == nil || sm == nil || !errors.As(err, &errs) {
		return err
	}
	s := &errdefs.Source{Info: &pb.SourceInfo{Data: sm.Data, Filename: sm.Filename, Language: sm.Language, Definition: sm.Definition.ToPB()}}
	for _, e := range errs {
		if e.Pos.Line > 0 {
			s.Ranges = append(s.Ranges, lineRange(e.Pos))
		}
	}
	if len(s.Ranges) == 0 {
		return err
	}
	return errdefs.WithSource(err, s)
}
