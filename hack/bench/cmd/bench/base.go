package main

// gobuild-base: gobuild's frontend image built from a git ref of this
// repository (-base-ref, env BENCH_BASE_REF), such as the commit before a
// change, so that one run times the working tree's gobuild against it on
// the same daemon. The ref is checked out in a git worktree under the work
// directory and built with its own Dockerfile, as the working tree's
// frontend is (pushFrontendFrom), then pushed to the test bed's registry
// under its own tag; the builds name it by digest.

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// baseTag is the tag gobuild-base's frontend image is pushed under.
const baseTag = "bench-base"

// baseFrontendImage is the frontend image gobuild-base builds with.
func baseFrontendImage(digest string) string {
	return "ghcr.io/gobuild/gobuild:" + baseTag + "@" + digest
}

// resolveCommit returns the full commit a ref of the repository names.
func resolveCommit(ctx context.Context, repo, ref string) (string, error) {
	if ref == "" || strings.HasPrefix(ref, "-") {
		return "", fmt.Errorf("base ref %q: not a git ref", ref)
	}
	out, err := output(ctx, command{argv: []string{"git", "-C", repo, "rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}"}})
	if err != nil {
		return "", fmt.Errorf("base ref %q is not a commit of %s: %v", ref, repo, err)
	}
	return strings.TrimSpace(out), nil
}

// pushBaseFrontend checks the base ref out into a worktree, builds the
// frontend image from it and pushes it, and records what it built.
func (b *bench) pushBaseFrontend(ctx context.Context) error {
	commit, err := resolveCommit(ctx, b.o.repo, b.o.baseRef)
	if err != nil {
		return err
	}
	dir := filepath.Join(b.work, "base-worktree")
	// --force: a worktree of an earlier run whose directory went with the
	// work directory is still registered; it is replaced.
	argv := []string{"git", "-C", b.o.repo, "worktree", "add", "--force", "--detach", dir, commit}
	if _, err := runLogged(ctx, command{argv: argv}, b.logPath("gobuild-base", "worktree", -1)); err != nil {
		return err
	}
	b.baseWorktree = dir
	digest, err := b.pushFrontendFrom(ctx, dir, baseTag, "gobuild-base")
	if err != nil {
		return err
	}
	b.res.BaseRef, b.res.BaseCommit, b.res.BaseFrontendDigest = b.o.baseRef, commit[:min(12, len(commit))], digest
	b.frontends["gobuild-base"] = baseFrontendImage(digest)
	return nil
}

// removeBaseWorktree removes the worktree pushBaseFrontend made.
func (b *bench) removeBaseWorktree() {
	if b.baseWorktree == "" {
		return
	}
	if _, err := output(context.Background(), command{argv: []string{"git", "-C", b.o.repo, "worktree", "remove", "--force", b.baseWorktree}}); err != nil {
		logf("warning: %v", err)
	}
	b.baseWorktree = ""
}
