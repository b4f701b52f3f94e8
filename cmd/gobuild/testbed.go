package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// buildkitHost is the BuildKit daemon to build with: $BUILDKIT_HOST, else
// the local test bed's (hack/testbed/up): BUILDKIT_HOST in
// $GOBUILD_TESTBED_DIR/env, else in the first .testbed/env found from wd
// upwards. The env file is parsed, never run. from says where the address
// came from, for messages.
func buildkitHost(getenv func(string) string, wd string) (addr, from string, err error) {
	if h := getenv("BUILDKIT_HOST"); h != "" {
		return h, "$BUILDKIT_HOST", nil
	}
	var file string
	if d := getenv("GOBUILD_TESTBED_DIR"); d != "" {
		file = filepath.Join(d, "env")
	} else {
		for d := wd; ; d = filepath.Dir(d) {
			p := filepath.Join(d, ".testbed", "env")
			if _, err := os.Stat(p); err == nil {
				file = p
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if file == "" {
		return "", "", errors.New("no BuildKit daemon: set BUILDKIT_HOST (such as unix:///run/buildkit/buildkitd.sock or tcp://host:1234), or start the local test bed with hack/testbed/up")
	}
	addr, err = envFileValue(file, "BUILDKIT_HOST")
	if err != nil {
		return "", "", fmt.Errorf("reading the test bed's environment: %w; set BUILDKIT_HOST or run hack/testbed/up", err)
	}
	if sock, ok := strings.CutPrefix(addr, "unix://"); ok {
		if _, err := os.Stat(sock); err != nil {
			return "", "", fmt.Errorf("the test bed (%s) is not running: %w; start it with hack/testbed/up, or set BUILDKIT_HOST", file, err)
		}
	}
	return addr, file, nil
}

// envFileValue is the value of key in a shell env file of lines such as
// `export KEY=value` or `KEY='value'`. Values are taken literally, unquoted.
func envFileValue(file, key string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s does not exist", file)
		}
		return "", err
	}
	defer f.Close()
	var value string
	found := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		line = strings.TrimSpace(strings.TrimPrefix(line, "export "))
		k, v, ok := strings.Cut(line, "=")
		if !ok || k != key {
			continue
		}
		if u, err := strconv.Unquote(v); err == nil && strings.HasPrefix(v, `"`) {
			v = u
		} else if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = v[1 : len(v)-1]
		}
		value, found = v, true // the last assignment wins, as in the shell
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("%s: %w", file, err)
	}
	if !found || value == "" {
		return "", fmt.Errorf("%s sets no %s", file, key)
	}
	return value, nil
}
