# shellcheck shell=bash
# Sourced by the scripts that need a tool pinned in a module of its own
# under hack/tools (hack/actionlint, hack/release).
#
#   gotool NAME MODULE PACKAGE   prints the path of NAME, built from PACKAGE
#                                in hack/tools/MODULE into <state>/bin
#
# <state> is the test bed's state directory ($GOBUILD_TESTBED_DIR, .testbed
# by default). The build is skipped while <state>/bin/.NAME.stamp matches
# the Go version, the platform and the module's go.mod and go.sum. The
# tools module is never touched: each tool has its own, so pinning one never
# changes the test bed's binaries.

gotool() {
	local name=$1 module=$2 pkg=$3 repo state bin mod want stamp tmp
	repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
	if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
		export PATH="/usr/local/go/bin:$PATH"
	fi
	command -v go >/dev/null 2>&1 || {
		printf '%s: ERROR: the Go toolchain is required to build %s\n' "$name" "$name" >&2
		return 1
	}
	state=${GOBUILD_TESTBED_DIR:-$repo/.testbed}
	bin="$state/bin"
	mod="$repo/hack/tools/$module"
	mkdir -p -- "$bin"
	touch -- "$state/.gobuild-testbed" # the test bed's marker: hack/testbed/down may clean it
	want="go=$(GOTOOLCHAIN=local go env GOVERSION) $(go env GOOS)/$(go env GOARCH) mod=$(cat -- "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -d' ' -f1)"
	stamp="$bin/.$name.stamp"
	if [[ ! -x $bin/$name || ! -f $stamp || $(<"$stamp") != "$want" ]]; then
		printf '%s: building %s from hack/tools/%s\n' "$name" "$name" "$module" >&2
		tmp=$(mktemp -d "$bin/$name.tmp.XXXXXX")
		if ! (cd -- "$mod" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go build -trimpath -o "$tmp/$name" "$pkg"); then
			rm -rf -- "$tmp"
			printf '%s: ERROR: building %s from hack/tools/%s failed\n' "$name" "$name" "$module" >&2
			return 1
		fi
		mv -f -- "$tmp/$name" "$bin/$name"
		rm -rf -- "$tmp"
		printf '%s\n' "$want" >"$stamp"
	fi
	printf '%s\n' "$bin/$name"
}
