package frontend

import (
	"context"
	"strings"
	"testing"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
	apicapspb "github.com/moby/buildkit/util/apicaps/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	gbllb "github.com/gobuild/gobuild/llb"
	"github.com/gobuild/gobuild/spec"
)

// daemonCaps is the LLB capability set of a daemon that has every
// capability this BuildKit knows except those in without, and has those in
// disabled turned off.
func daemonCaps(without []apicaps.CapID, disabled map[apicaps.CapID]string) apicaps.CapSet {
	var caps []*apicapspb.APICap
	for _, c := range pb.Caps.All() {
		id := apicaps.CapID(c.ID)
		if containsCap(without, id) {
			continue
		}
		if msg, ok := disabled[id]; ok {
			c = &apicapspb.APICap{ID: c.ID, Enabled: false, DisabledReasonMsg: msg}
		}
		caps = append(caps, c)
	}
	return pb.Caps.CapSet(caps)
}

func containsCap(l []apicaps.CapID, id apicaps.CapID) bool {
	for _, x := range l {
		if x == id {
			return true
		}
	}
	return false
}

// imageDefinitions are the marshalled definitions of every target of a
// file that uses most of gobuild: two builds, cgo cross-compiled, files,
// go.ssh, for linux/arm64 from linux/amd64.
func imageDefinitions(t *testing.T, caps *apicaps.CapSet) map[string]*bk.Definition {
	t.Helper()
	src := "go:\n  ssh: true\n  private: [git.example.com/*]\nbuilds:\n  - main: .\n    cgo: true\n  - id: tool\n    main: ./cmd/tool\nimages:\n  - name: app\n    builds: [app, tool]\n    workdir: /app\n    files:\n      - src: static/\n        dst: /app/static/\n        mode: \"0444\"\n"
	f, err := spec.Parse("gobuild.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.Resolve("gobuild.yaml", spec.Module{Path: "example.com/app", Go: "1.26"})
	if err != nil {
		t.Fatal(err)
	}
	v, epoch, err := spec.NewValues(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	defs := map[string]*bk.Definition{}
	plan, err := gbllb.NewPlan(gbllb.Config{
		File: r, Context: bk.Local("context"), Builder: bk.Image(r.Go.Image, bk.Platform(amd64)),
		BuildPlatform: amd64, Values: v, Epoch: epoch, Env: r.GoEnv(nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range append([]string{"app"}, gbllb.Targets...) {
		res, err := plan.Target(gbllb.Platform{Target: arm64}, name, "")
		if err != nil {
			t.Fatalf("target %s: %v", name, err)
		}
		opts := []bk.ConstraintsOpt{bk.Platform(arm64), bk.IgnoreCache}
		if caps != nil {
			opts = append(opts, bk.WithCaps(*caps))
		}
		def, err := res.Rootfs.Marshal(context.Background(), opts...)
		if err != nil {
			t.Fatalf("target %s: %v", name, err)
		}
		defs[name] = def
	}
	return defs
}

// Every capability gobuild's definitions use has a feature name for the
// error, and a daemon with every capability passes.
func TestLLBCapsNamed(t *testing.T) {
	all := daemonCaps(nil, nil)
	used := map[apicaps.CapID]bool{}
	for name, def := range imageDefinitions(t, &all) {
		if err := checkLLBCaps(all, def); err != nil {
			t.Errorf("target %s on a daemon with every capability: %v", name, err)
		}
		for _, md := range def.Metadata {
			for id := range md.Caps {
				used[id] = true
			}
		}
	}
	for id := range used {
		if llbFeatures[id] == "" {
			t.Errorf("the definitions use the LLB capability %s, which llbFeatures does not name", id)
		}
	}
	for _, id := range []apicaps.CapID{pb.CapMergeOp, pb.CapExecMountSSH, pb.CapMetaIgnoreCache, pb.CapSourceImage} {
		if !used[id] {
			t.Errorf("the definitions do not use %s: the test file no longer covers it", id)
		}
	}
}

// A daemon without a capability an image needs fails the build at once,
// naming the feature and the BuildKit gobuild needs.
func TestLLBCapsMissing(t *testing.T) {
	all := daemonCaps(nil, nil)
	def := imageDefinitions(t, &all)["app"]
	err := checkLLBCaps(daemonCaps([]apicaps.CapID{pb.CapMergeOp}, nil), def)
	want := `gobuild: images (their layers are merged, MergeOp) needs the BuildKit capability "mergeop", and this BuildKit lacks it: gobuild needs BuildKit ` + MinBuildKit + ` or newer; see docs/compat.md`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	err = checkLLBCaps(daemonCaps(nil, map[apicaps.CapID]string{pb.CapExecMountSSH: "ssh is off here"}), def)
	if err == nil || !strings.Contains(err.Error(), `go.ssh (the ssh agent of go mod download) needs the BuildKit capability "exec.mount.ssh", and this BuildKit has it disabled (ssh is off here)`) {
		t.Errorf("a disabled capability: %v", err)
	}
}

// On a daemon older than MinBuildKit that the capabilities a definition
// declares do not reveal (v0.16.0 ignores a symbolic copy mode), an image,
// whose /tmp is copied with mode 1777, fails at once, naming the mode; the
// binaries target, which sets no mode, still builds.
func TestModeStringNeedsFloor(t *testing.T) {
	all := daemonCaps(nil, nil)
	defs := imageDefinitions(t, &all)
	old := daemonCaps([]apicaps.CapID{modeStringFloor}, nil)
	err := checkLLBCaps(old, defs["app"])
	want := `gobuild: a file mode such as /tmp's 1777 or images[].files[].mode needs the BuildKit capability "file.symlink.create", and this BuildKit lacks it: gobuild needs BuildKit ` + MinBuildKit + ` or newer; see docs/compat.md`
	if err == nil || err.Error() != want {
		t.Errorf("image on a daemon without %s: %v, want %s", modeStringFloor, err, want)
	}
	if err := checkLLBCaps(old, defs["binaries"]); err != nil {
		t.Errorf("binaries on a daemon without %s: %v", modeStringFloor, err)
	}
}

type capsClient struct {
	client.Client
	caps apicaps.CapSet
}

func (c capsClient) BuildOpts() client.BuildOpts { return client.BuildOpts{LLBCaps: c.caps} }

// marshal, which solve uses, checks the daemon's capabilities.
func TestMarshalChecksCaps(t *testing.T) {
	st := bk.Merge([]bk.State{bk.Image("a"), bk.Image("b")})
	if _, err := marshal(context.Background(), capsClient{caps: daemonCaps(nil, nil)}, st); err != nil {
		t.Fatal(err)
	}
	_, err := marshal(context.Background(), capsClient{caps: daemonCaps([]apicaps.CapID{pb.CapMergeOp}, nil)}, st)
	if err == nil || !strings.Contains(err.Error(), `"mergeop"`) {
		t.Errorf("marshal on a daemon without mergeop: %v", err)
	}
}
