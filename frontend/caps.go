package frontend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
)

// Capabilities: the frontend capabilities a client may ask of gobuild
// (Caps, validateCaps), and what gobuild needs of the BuildKit daemon it
// runs on (docs/compat.md): the daemon's LLB capabilities, what a
// definition may use.

// Caps are the frontend capabilities gobuild supports. The frontend image
// declares the same list in its moby.buildkit.frontend.caps label.
var Caps = []string{
	"moby.buildkit.frontend.inputs",
	"moby.buildkit.frontend.subrequests",
	"moby.buildkit.frontend.contexts",
}

// validateCaps fails for a frontend capability the client requires (the
// frontend.caps opt) that gobuild lacks, unless the client marked it
// +forward (optional).
func validateCaps(opts map[string]string) error {
	req := opts[string(gwpb.CapFrontendCaps)]
	if req == "" {
		return nil
	}
	for _, c := range strings.Split(req, ",") {
		name, _, _ := strings.Cut(c, "+")
		if !slices.Contains(Caps, name) && !strings.Contains(c, "+forward") {
			return errdefs.NewUnsupportedFrontendCapError(name)
		}
	}
	return nil
}

// MinBuildKit is the oldest BuildKit release gobuild is measured to work
// with: hack/compat's OLDEST, the matrix in docs/compat.md, and the daemon
// integration/compat_test.go runs.
const MinBuildKit = "v0.20.2"

// llbFeatures names the gobuild feature behind each LLB capability its
// definitions use, for the error a daemon without it gets.
var llbFeatures = map[apicaps.CapID]string{
	pb.CapSourceImage:             "the builder and base images",
	pb.CapSourceLocal:             "the build context",
	pb.CapSourceLocalUnique:       "the build context",
	pb.CapExecMetaBase:            "the go commands",
	pb.CapExecMetaSetsDefaultPath: "the go commands",
	pb.CapExecMetaNetwork:         "compiling without network access",
	pb.CapExecMountBind:           "the go commands",
	pb.CapExecMountCache:          "the go build cache",
	pb.CapExecMountCacheSharing:   "the go build cache",
	pb.CapExecMountSecret:         "the netrc secret of go mod download",
	pb.CapExecMountSSH:            "go.ssh (the ssh agent of go mod download)",
	pb.CapExecMountTmpfs:          "the vulncheck target",
	pb.CapFileBase:                "the image's files",
	pb.CapMergeOp:                 "images (their layers are merged, MergeOp)",
	pb.CapMetaIgnoreCache:         "--no-cache and --no-cache-filter",
	pb.CapMetaDescription:         "step names",
	pb.CapConstraints:             "platforms",
	pb.CapPlatform:                "platforms",
}

// marshal is st.Marshal for the daemon c runs on: it fails at once, naming
// the gobuild feature and the BuildKit release gobuild needs, when the
// definition uses an LLB capability the daemon lacks, rather than let the
// solver reject it.
func marshal(ctx context.Context, c client.Client, st bk.State, opts ...bk.ConstraintsOpt) (*bk.Definition, error) {
	caps := c.BuildOpts().LLBCaps
	def, err := st.Marshal(ctx, append(opts, bk.WithCaps(caps))...)
	if err != nil {
		return nil, err
	}
	return def, checkLLBCaps(caps, def)
}

// checkLLBCaps fails for the first capability (in name order) def uses
// that caps, the daemon's, does not support.
func checkLLBCaps(caps apicaps.CapSet, def *bk.Definition) error {
	used := map[apicaps.CapID]bool{}
	for _, md := range def.Metadata {
		for id, on := range md.Caps {
			if on {
				used[id] = true
			}
		}
	}
	ids := make([]apicaps.CapID, 0, len(used))
	for id := range used {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := caps.Supports(id); err != nil {
			return daemonTooOld(id, llbFeatures[id], err)
		}
	}
	if usesModeString(def) {
		if err := caps.Supports(modeStringFloor); err != nil {
			return daemonTooOld(modeStringFloor, "a file mode such as /tmp's 1777 or images[].files[].mode", err)
		}
	}
	return nil
}

// modeStringFloor stands in for the symbolic copy mode (ChmodOpt.ModeStr),
// whose own capability, file.copy.modestring, BuildKit neither registers
// nor declares in a definition: a daemon without it ignores the mode and
// leaves /tmp 0000 (measured on v0.16.0 and v0.12.5, docs/compat.md). Every
// release from MinBuildKit on has modeStringFloor, and those two lack it.
const modeStringFloor = pb.CapFileSymlinkCreate

// usesModeString reports whether a copy in def sets a symbolic mode.
func usesModeString(def *bk.Definition) bool {
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			continue // not an op: the solver will say so
		}
		for _, a := range op.GetFile().GetActions() {
			if c := a.GetCopy(); c != nil && c.ModeStr != "" {
				return true
			}
		}
	}
	return false
}

// daemonTooOld is the error for a daemon without capability id, which
// feature (empty when gobuild has no name for it) needs.
func daemonTooOld(id apicaps.CapID, feature string, cause error) error {
	if feature == "" {
		feature = "this build"
	}
	why := "lacks it"
	var ce *apicaps.CapError
	if errors.As(cause, &ce) && ce.State != nil && !ce.State.Enabled {
		why = "has it disabled"
		if ce.State.DisabledReasonMsg != "" {
			why += " (" + ce.State.DisabledReasonMsg + ")"
		}
	}
	return fmt.Errorf("gobuild: %s needs the BuildKit capability %q, and this BuildKit %s: gobuild needs BuildKit %s or newer; see docs/compat.md",
		feature, id, why, MinBuildKit)
}
