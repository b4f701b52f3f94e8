package spec

import "testing"

type fakeLinks map[string]string

func (f fakeLinks) Readlink(name string) (string, bool) {
	t, ok := f[name]
	return t, ok
}

// Paths that reach outside the context through a symbolic link are
// errors naming the field's line; links that stay inside are fine.
func TestCheckLinks(t *testing.T) {
	links := fakeLinks{
		"cmd/abs":       "/etc",
		"cmd/up":        "../../outside",
		"cmd/inside":    "../internal/tool",
		"assets":        "static",
		"static/secret": "/root/.ssh/id_rsa",
		"loop":          "loop2",
		"loop2":         "loop",
		"services/api":  "../../x",
		"chain":         "cmd/up",
	}
	src := `go:
  dir: .
builds:
  - main: ./cmd/abs
  - main: ./cmd/up/sub
  - main: ./cmd/inside
  - main: ./cmd/plain
  - main: ./chain
images:
  - files:
      - {src: assets/logo.png, dst: /logo.png}
      - {src: assets/secret, dst: /s}
      - {src: loop/x, dst: /l}
`
	f, err := Parse("gobuild.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	err = f.CheckLinks("gobuild.yaml", links)
	want := `gobuild.yaml:4:11: builds[0].main: "./cmd/abs" leaves the build context: cmd/abs is a symbolic link to /etc
gobuild.yaml:5:11: builds[1].main: "./cmd/up/sub" leaves the build context: cmd/up is a symbolic link to ../../outside, outside the build context
gobuild.yaml:8:11: builds[4].main: "./chain" leaves the build context: cmd/up is a symbolic link to ../../outside, outside the build context
gobuild.yaml:12:15: images[0].files[1].src: "assets/secret" leaves the build context: static/secret is a symbolic link to /root/.ssh/id_rsa
gobuild.yaml:13:15: images[0].files[2].src: "loop/x" leaves the build context: more than 40 symbolic links along it`
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
	dir, err := Parse("gobuild.yaml", []byte("go:\n  dir: services/api\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := dir.CheckLinks("gobuild.yaml", links); err == nil || err.Error() != `gobuild.yaml:2:8: go.dir: "services/api" leaves the build context: services/api is a symbolic link to ../../x, outside the build context` {
		t.Errorf("go.dir: %v", err)
	}
	if err := dir.CheckLinks("gobuild.yaml", fakeLinks{}); err != nil {
		t.Errorf("no links: %v", err)
	}
}
