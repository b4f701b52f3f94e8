package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestTiers runs the real go command with the tool as its GOCACHEPROG: a
// cold build into a write tier, then builds that read it as a read tier,
// a plain GOCACHE, and a damaged read tier.
func TestTiers(t *testing.T) {
	tool := buildTool(t)
	mod := writeModule(t)
	root := t.TempDir()
	dir := func(name string) string { return filepath.Join(root, name) }
	scratch := "GOCACHE=" + dir("gocache") // what go keeps outside GOCACHEPROG
	prog := func(args ...string) string { return "GOCACHEPROG=" + tool + " '" + strings.Join(args, "' '") + "'" }
	a := dir("a")

	// A cold build: everything compiles, into a.
	x := goBuild(t, mod, scratch, prog("-w", a))
	for _, p := range []string{"example.com/m/lib", "main", "fmt"} {
		if !compiled(x)[p] {
			t.Errorf("the cold build did not compile %s:\n%s", p, x)
		}
	}
	entries, data := countFiles(t, a, "-a"), countFiles(t, a, "-d")
	if entries == 0 || data == 0 {
		t.Fatalf("the write tier has %d index entries and %d data files", entries, data)
	}
	checkFormat(t, a)

	// A hit answers the read tier's own file, not a copy: go list -export
	// names it.
	list := exec.Command("go", "list", "-export", "-f", "{{.Export}}", "example.com/m/lib")
	list.Dir, list.Env = mod, goEnv(scratch, prog("-w", dir("d"), "-r", a))
	out, err := list.CombinedOutput()
	export := strings.TrimSpace(string(out))
	if err != nil || !strings.HasPrefix(export, a+string(filepath.Separator)) || !strings.HasSuffix(export, "-d") {
		t.Fatalf("go list -export: %v: %s; want a data file of the read tier %s", err, out, a)
	}

	// a as a read tier: nothing compiles, nothing is written, and a, aged
	// by two hours, is as it was, to its mtimes.
	age(t, a)
	before := snapshot(t, a)
	b := dir("b")
	if x := goBuild(t, mod, scratch, prog("-w", b, "-r", a)); len(compiled(x)) > 0 {
		t.Errorf("with the cold build's tier to read, go compiled %v:\n%s", keys(compiled(x)), x)
	}
	if n := countFiles(t, b, ""); n != 0 {
		t.Errorf("the write tier gained %d files for what the read tier holds", n)
	}
	if after := snapshot(t, a); after != before {
		t.Errorf("the read tier changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// As the write tier, a's files are marked used, as Go's cache does, so
	// that a plain go command's trim keeps them.
	if x := goBuild(t, mod, scratch, prog("-w", a)); len(compiled(x)) > 0 {
		t.Errorf("with everything in the write tier, go compiled %v:\n%s", keys(compiled(x)), x)
	}
	if fi, err := os.Stat(export); err != nil || time.Since(fi.ModTime()) > time.Hour {
		t.Errorf("a data file of the write tier used two hours ago was not marked used: %v", err)
	}

	// a is Go's own format: a plain go command finds everything in it.
	if x := goBuild(t, mod, "GOCACHE="+a, "GOCACHEPROG="); len(compiled(x)) > 0 {
		t.Errorf("a plain go command with GOCACHE set to the write tier compiled %v:\n%s", keys(compiled(x)), x)
	}

	// A cache that a plain go command wrote is a read tier; a missing
	// read tier is an empty one.
	plain := dir("plain")
	if x := goBuild(t, mod, "GOCACHE="+plain, "GOCACHEPROG="); !compiled(x)["main"] {
		t.Fatalf("the plain cold build did not compile main:\n%s", x)
	}
	age(t, plain)
	before = snapshot(t, plain)
	if x := goBuild(t, mod, scratch, prog("-w", dir("c"), "-r", dir("missing"), "-r", plain)); len(compiled(x)) > 0 {
		t.Errorf("with a plain go cache to read, go compiled %v:\n%s", keys(compiled(x)), x)
	}
	if after := snapshot(t, plain); after != before {
		t.Errorf("the plain go cache changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// A truncated data file in a read tier is a miss: the package compiles
	// again, into the write tier.
	if err := os.Truncate(export, 10); err != nil {
		t.Fatal(err)
	}
	e := dir("e")
	if x := goBuild(t, mod, scratch, prog("-w", e, "-r", a)); !compiled(x)["example.com/m/lib"] {
		t.Errorf("a truncated data file in the read tier was not a miss:\n%s", x)
	}
	if fi, err := os.Stat(filepath.Join(e, filepath.Base(filepath.Dir(export)), filepath.Base(export))); err != nil || fi.Size() <= 10 {
		t.Errorf("the write tier has no new data file for the recompiled package: %v", err)
	}
	if fi, err := os.Stat(export); err != nil || fi.Size() != 10 {
		t.Errorf("the read tier's truncated file changed: %v", err)
	}
}

// TestProtocol sends the tool requests the go command does not make:
// errors are answered in Response.Err, and the tool exits cleanly at the end
// of its input or on close.
func TestProtocol(t *testing.T) {
	tool := buildTool(t)
	w := t.TempDir()
	action := sha256.Sum256([]byte("action"))
	body := []byte("hello")
	out := sha256.Sum256(body)
	empty := sha256.Sum256(nil)
	b64 := base64.StdEncoding.EncodeToString
	var in bytes.Buffer
	req := func(v map[string]any, body []byte) {
		json.NewEncoder(&in).Encode(v)
		if len(body) > 0 { // as cmd/go sends it: an empty line, then the body
			fmt.Fprintf(&in, "\n%q\n", b64(body))
		}
	}
	req(map[string]any{"ID": 1, "Command": "frob"}, nil)
	req(map[string]any{"ID": 2, "Command": "get", "ActionID": b64([]byte("short"))}, nil)
	req(map[string]any{"ID": 3, "Command": "put", "ActionID": b64(action[:]), "OutputID": b64(empty[:]), "BodySize": 5}, body)
	never := sha256.Sum256([]byte("never put"))
	req(map[string]any{"ID": 4, "Command": "get", "ActionID": b64(never[:])}, nil)
	req(map[string]any{"ID": 5, "Command": "put", "ActionID": b64(action[:]), "OutputID": b64(out[:]), "BodySize": 5}, body)
	emptyAction := sha256.Sum256([]byte("empty"))
	req(map[string]any{"ID": 6, "Command": "put", "ActionID": b64(emptyAction[:]), "OutputID": b64(empty[:])}, nil)

	res := runTool(t, tool, in.Bytes(), "-w", w)
	if len(res[0].KnownCommands) != 3 {
		t.Errorf("capabilities %v", res[0].KnownCommands)
	}
	for _, id := range []int64{1, 2, 3} {
		if res[id].Err == "" {
			t.Errorf("request %d: no error in %+v", id, res[id])
		}
	}
	if !res[4].Miss {
		t.Errorf("a get of what was never put: %+v, want a miss", res[4])
	}
	if got, err := os.ReadFile(res[5].DiskPath); err != nil || string(got) != "hello" || !strings.HasPrefix(res[5].DiskPath, w) {
		t.Errorf("put's DiskPath %q: %q, %v", res[5].DiskPath, got, err)
	}
	if fi, err := os.Stat(res[6].DiskPath); err != nil || fi.Size() != 0 {
		t.Errorf("an empty put's DiskPath %q: %v", res[6].DiskPath, err)
	}
	checkFormat(t, w)

	// With w as the read tier: a get of what was put; a put of an output
	// that w holds writes the index entry only; then close, and anything
	// after it is not read.
	in.Reset()
	req(map[string]any{"ID": 1, "Command": "get", "ActionID": b64(action[:])}, nil)
	other := sha256.Sum256([]byte("another action"))
	req(map[string]any{"ID": 2, "Command": "put", "ActionID": b64(other[:]), "OutputID": b64(out[:]), "BodySize": 5}, body)
	req(map[string]any{"ID": 3, "Command": "close"}, nil)
	in.WriteString("not JSON\n")
	w2 := t.TempDir()
	res = runTool(t, tool, in.Bytes(), "-w", w2, "-r", w)
	data := filepath.Join(w, fmt.Sprintf("%x", out[:1]), fmt.Sprintf("%x-d", out))
	if r := res[1]; r.Miss || r.Size != 5 || !bytes.Equal(r.OutputID, out[:]) || r.Time == nil || r.DiskPath != data {
		t.Errorf("get from a read tier: %+v", r)
	}
	if r := res[2]; r.Err != "" || r.DiskPath != data || countFiles(t, w2, "") != 1 || countFiles(t, w2, "-a") != 1 {
		t.Errorf("a put of what the read tier holds: %+v, and %d files written", r, countFiles(t, w2, ""))
	}
	if _, ok := res[3]; !ok {
		t.Error("no answer to close")
	}
}

// runTool runs the tool on the input and returns its responses by ID; it
// must exit with status 0.
func runTool(t *testing.T, tool string, input []byte, args ...string) map[int64]response {
	t.Helper()
	cmd := exec.Command(tool, args...)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, stderr.Bytes())
	}
	res := map[int64]response{}
	for sc := bufio.NewScanner(bytes.NewReader(stdout)); sc.Scan(); {
		var r response
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("response %q: %v", sc.Text(), err)
		}
		res[r.ID] = r
	}
	return res
}

// buildTool builds the tool from main.go alone, as a builder image does.
func buildTool(t *testing.T) string {
	t.Helper()
	tool := filepath.Join(t.TempDir(), "gocacheprog")
	cmd := exec.Command("go", "build", "-o", tool, "main.go")
	cmd.Env = append(os.Environ(), "GO111MODULE=auto", "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build main.go: %v\n%s", err, out)
	}
	return tool
}

// writeModule writes a module with a library and a main that imports it
// and fmt. Its files are an hour old, so that go indexes its packages in
// the first build already (it skips files from the last seconds).
func writeModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for name, text := range map[string]string{
		"go.mod":          "module example.com/m\n\ngo 1.24\n",
		"lib/lib.go":      "package lib\n\nimport \"strings\"\n\nfunc Hello(s string) string { return strings.ToUpper(\"hello \" + s) }\n",
		"cmd/app/main.go": "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/m/lib\"\n)\n\nfunc main() { fmt.Println(lib.Hello(\"world\")) }\n",
	} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o666); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func goEnv(env ...string) []string {
	base := []string{"GOFLAGS=", "GOTOOLCHAIN=local", "GOWORK=off", "GOPROXY=off", "GO111MODULE=on"}
	return append(append(os.Environ(), base...), env...)
}

// goBuild builds the module's main with -x, runs it, and returns the -x
// output.
func goBuild(t *testing.T, mod string, env ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "app")
	cmd := exec.Command("go", "build", "-x", "-o", bin, "./cmd/app")
	cmd.Dir, cmd.Env = mod, goEnv(env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build with %q: %v\n%s", env, err, stderr.Bytes())
	}
	t.Logf("go build with %q: %.2fs", env, time.Since(start).Seconds())
	if out, err := exec.Command(bin).Output(); err != nil || string(out) != "HELLO WORLD\n" {
		t.Fatalf("the binary: %q, %v", out, err)
	}
	return stderr.String()
}

// compiled returns the packages (-p) of the compiler invocations in -x
// output.
func compiled(x string) map[string]bool {
	pkgs := map[string]bool{}
	for _, line := range strings.Split(x, "\n") {
		if !strings.Contains(line, "/compile ") && !strings.Contains(line, "compile -o") {
			continue
		}
		f := strings.Fields(line)
		for i := range f[:len(f)-1] {
			if f[i] == "-p" {
				pkgs[f[i+1]] = true
			}
		}
	}
	return pkgs
}

func keys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// countFiles counts the files under dir whose names end in suffix; a
// missing dir has none.
func countFiles(t *testing.T, dir, suffix string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, suffix) {
			n++
		}
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return n
}

var entryRE = regexp.MustCompile(`^v1 ([0-9a-f]{64}) ([0-9a-f]{64}) [ 0-9]{19}[0-9] [ 0-9]{19}[0-9]\n$`)

// checkFormat checks that every file of a cache the tool wrote is an index
// entry of Go's format, in the file its action ID names, or a data file of
// the size an entry gives; no temporary file is left.
func checkFormat(t *testing.T, dir string) {
	t.Helper()
	data := map[string]int64{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		switch {
		case strings.HasSuffix(name, "-a"):
			text, _ := os.ReadFile(path)
			m := entryRE.FindStringSubmatch(string(text))
			if m == nil || name != m[1]+"-a" || filepath.Base(filepath.Dir(path)) != m[1][:2] {
				t.Errorf("%s: not an index entry of its action: %q", path, text)
				return nil
			}
			var size int64
			fmt.Sscan(string(text[2+1+64+1+64+1:]), &size)
			data[filepath.Join(filepath.Dir(filepath.Dir(path)), m[2][:2], m[2]+"-d")] = size
		case strings.HasSuffix(name, "-d"):
		default:
			t.Errorf("%s: neither an index entry nor a data file", path)
		}
		return nil
	})
	for path, size := range data {
		if fi, err := os.Stat(path); err != nil || fi.Size() != size {
			t.Errorf("%s: %v, want %d bytes", path, err, size)
		}
	}
}

// age sets the mtimes under dir two hours back.
func age(t *testing.T, dir string) {
	t.Helper()
	old := time.Now().Add(-2 * time.Hour)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(path, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot describes every file and directory under dir: mode, size,
// mtime and content hash.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		var sum [sha256.Size]byte
		if !d.IsDir() {
			text, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum = sha256.Sum256(text)
		}
		fmt.Fprintf(&b, "%s %v %d %d %x\n", path, fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), sum)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
