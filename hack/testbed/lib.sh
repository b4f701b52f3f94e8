# shellcheck shell=bash disable=SC2034
# Shared by hack/testbed/up and hack/testbed/down. Not meant to be run.

log() { printf 'testbed: %s\n' "$*" >&2; }
die() {
	printf 'testbed: ERROR: %s\n' "$*" >&2
	exit 1
}

REPO_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
TOOLS_DIR="$REPO_ROOT/hack/tools"

BUILDER_NAME=gobuild-testbed
MARKER_NAME=.gobuild-testbed

# testbed_paths sets every path derived from the state directory.
# The state path ends up inside TOML strings and mount tables, so it is
# restricted to characters that need no quoting there.
testbed_paths() {
	local raw=${GOBUILD_TESTBED_DIR:-$REPO_ROOT/.testbed}
	[[ $raw == /* ]] || raw="$PWD/$raw"
	[[ $raw =~ ^/[A-Za-z0-9._/+@,=-]*$ ]] ||
		die "GOBUILD_TESTBED_DIR must be a path of [A-Za-z0-9._/+@,=-] characters, got: $raw"
	STATE=${raw%/}
	[[ -n $STATE && $STATE != / ]] || die "refusing to use / as the state directory"
	BIN="$STATE/bin"
	RUN="$STATE/run"
	LOGS="$STATE/logs"
	SOCK="$RUN/buildkitd.sock"
	BK_ADDR="unix://$SOCK"
	BK_PIDFILE="$RUN/buildkitd.pid"
	REG_PIDFILE="$RUN/registry.pid"
	TOML="$STATE/buildkitd.toml"
	ENV_FILE="$STATE/env"
	export DOCKER_CONFIG="$STATE/docker"
	export BUILDX_CONFIG="$STATE/buildx"

	REG=${GOBUILD_REGISTRY:-127.0.0.1:5000}
	[[ $REG =~ ^[A-Za-z0-9.-]+:[0-9]{1,5}$ ]] ||
		die "GOBUILD_REGISTRY must look like HOST:PORT (e.g. 127.0.0.1:5000), got: $REG"
}

# pid_of FILE BINARY: prints the pid recorded in FILE if that process is
# alive and runs BINARY (so a reused pid is never signalled).
pid_of() {
	local file=$1 bin=$2 pid exe
	[[ -f $file ]] || return 1
	pid=$(<"$file")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ -d /proc/$pid ]] || return 1
	exe=$(readlink -- "/proc/$pid/exe" 2>/dev/null) || return 1
	exe=${exe% (deleted)}
	[[ $exe == "$bin" ]] || return 1
	printf '%s\n' "$pid"
}

# stop_pid NAME FILE BINARY: SIGTERM the process, wait up to 30s, then SIGKILL.
stop_pid() {
	local name=$1 file=$2 bin=$3 pid i
	if ! pid=$(pid_of "$file" "$bin"); then
		rm -f -- "$file"
		return 0
	fi
	log "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 150; i++)); do
		[[ -d /proc/$pid ]] || break
		sleep 0.2
	done
	if [[ -d /proc/$pid ]]; then
		log "$name did not exit after 30s; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			[[ -d /proc/$pid ]] || break
			sleep 0.1
		done
	fi
	rm -f -- "$file"
}

# unmount_under DIR: unmount everything mounted at or below DIR, deepest first.
unmount_under() {
	local dir=$1 m
	local -a mounts=()
	# Paths are restricted (testbed_paths), so findmnt's raw output needs no unescaping.
	while IFS= read -r m; do
		if [[ $m == "$dir" || $m == "$dir"/* ]]; then
			mounts+=("$m")
		fi
	done < <(findmnt -rn -o TARGET 2>/dev/null || true)
	((${#mounts[@]})) || return 0
	while IFS= read -r m; do
		log "unmounting leftover mount $m"
		umount -- "$m" 2>/dev/null || umount -l -- "$m" || log "could not unmount $m"
	done < <(printf '%s\n' "${mounts[@]}" | sort -r)
}

buildkit_up() {
	[[ -x $BIN/buildctl ]] || return 1
	"$BIN/buildctl" --addr "$BK_ADDR" --timeout 3 debug workers >/dev/null 2>&1
}

registry_up() {
	curl -fsS -o /dev/null --max-time 2 "http://$REG/v2/" 2>/dev/null
}
