# shellcheck shell=bash
# Sourced by hack/test and hack/demo. `testbed_use` brings the test bed up
# (hack/testbed/up is idempotent and quick when it is running) and loads its
# environment. When it was not running before, it is stopped again on exit:
# the script that starts the test bed tears it down.

testbed_use() {
	local state env_file was_running=
	TESTBED_SCRIPTS=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
	state=${GOBUILD_TESTBED_DIR:-$TESTBED_SCRIPTS/../../.testbed}
	if [[ -f $state/env ]] && (
		# shellcheck disable=SC1091
		source "$state/env" && buildctl debug workers >/dev/null 2>&1
	); then
		was_running=1
	fi
	env_file=$("$TESTBED_SCRIPTS/up" | tail -n 1)
	if [[ -z $was_running ]]; then
		trap '"$TESTBED_SCRIPTS/down"' EXIT
	fi
	# shellcheck disable=SC1090
	source "$env_file"
}
