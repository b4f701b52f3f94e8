package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gobuild/gobuild/integration/imagetest"
)

// hostile is a value full of shell metacharacters and quotes.
const hostile = "$(touch /tmp/gobuild-pwned); `id` && echo \"q\" | cat > x; *?[a]~ \\ % 'end"

// Shell metacharacters in ldflags values, image env and labels stay
// literal: the binary prints the -X value exactly, and the image's config
// holds the env and label values exactly. No command in them runs.
func TestMetacharactersStayLiteral(t *testing.T) {
	dir := t.TempDir()
	// ldflags is split by go's quoting rules: a double-quoted -X value keeps
	// everything but the escapes inside it.
	ldflag := `-X "main.v=` + `$(touch /tmp/gobuild-pwned); ` + "`id`" + ` && echo 'q' | cat > x; *?[a]~ % 'end"`
	wantV := `$(touch /tmp/gobuild-pwned); ` + "`id`" + ` && echo 'q' | cat > x; *?[a]~ % 'end`
	writeFiles(t, dir, map[string]string{
		"go.mod":  "module example.com/meta\n\ngo 1.26\n",
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nvar v string\n\nfunc main() { fmt.Printf(\"%s\\n%s\\n\", v, os.Getenv(\"HOSTILE\")) }\n",
		"gobuild.yaml": "# syntax=" + frontendImage + "\nbuilds:\n  - ldflags: [" + yamlQuote(ldflag) + "]\n" +
			"images:\n  - env:\n      HOSTILE: " + yamlQuote(hostile) + "\n    labels:\n      hostile: " + yamlQuote(hostile) + "\n",
	})
	os.Remove("/tmp/gobuild-pwned")
	path, out := ociDest(t)
	mustRun(t, dir, "docker", "buildx", "build", "-f", "gobuild.yaml", "-o", out, ".")
	if _, err := os.Stat("/tmp/gobuild-pwned"); err == nil {
		t.Errorf("a command in the values ran on the host")
	}
	img := openImage(t, path, hostPlatform)
	if got := img.Config.Config.Labels["hostile"]; got != hostile {
		t.Errorf("label %q, want %q", got, hostile)
	}
	found := false
	for _, e := range img.Config.Config.Env {
		found = found || e == "HOSTILE="+hostile
	}
	if !found {
		t.Errorf("env %q lacks HOSTILE=%q", img.Config.Config.Env, hostile)
	}
	if want, stdout := wantV+"\n"+hostile+"\n", runImage(t, img, imagetest.RunOpts{}); stdout != want {
		t.Errorf("the binary printed\n%q\nwant\n%q", stdout, want)
	}
	root := t.TempDir()
	if err := img.Unpack(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "tmp/gobuild-pwned")); err == nil {
		t.Errorf("a command in the values ran in the build")
	}
}

// yamlQuote writes s as a double-quoted YAML string.
func yamlQuote(s string) string {
	var b []byte
	b = append(b, '"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b = append(b, '\\', byte(r))
		default:
			b = append(b, string(r)...)
		}
	}
	return string(append(b, '"'))
}

// A path in gobuild.yaml that leaves the build context through a symbolic
// link fails the build with the file, line and field, before anything runs.
func TestSymlinkOutOfContext(t *testing.T) {
	dir := writeApp(t, "images:\n  - files:\n      - src: leak\n        dst: /leak\n")
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "leak")); err != nil {
		t.Fatal(err)
	}
	out, err := run(context.Background(), dir, "docker", "buildx", "build", "-f", "gobuild.yaml", ".")
	want := `gobuild.yaml:4:14: images[0].files[0].src: "leak" leaves the build context: leak is a symbolic link to /etc/passwd`
	if err == nil || !strings.Contains(string(out), want) {
		t.Errorf("err %v, want the output to hold %q:\n%s", err, want, tail(out, 20))
	}
}
