package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type addSpec struct{ src, dst string }

type mkdirSpec struct {
	dst      string
	mode     int64
	uid, gid int
}

type fileSpec struct {
	dst      string
	mode     int64
	uid, gid int
	data     []byte
}

type options struct {
	rootfs      string
	rootfsPaths []string
	adds        []addSpec
	mkdirs      []mkdirSpec
	files       []fileSpec
	env         []string
	labels      map[string]string
	user        string
	workdir     string
	cmd         []string
	platforms   []v1.Platform
	layout      string
	name        string
	tags        []string
	epoch       time.Time
	status      bool
}

func parseFlags() (*options, error) {
	var rootfsPaths, adds, mkdirs, files, envs, labels, platforms, tags listFlag
	o := &options{labels: map[string]string{}}
	flag.StringVar(&o.rootfs, "rootfs", "", "root filesystem tarball (.tar or .tar.gz), the first layer")
	flag.Var(&rootfsPaths, "rootfs-path", "PATH: take only PATH, what is below it and its parent directories from -rootfs (repeatable)")
	flag.Var(&adds, "add", "SRC:DST host file or directory copied to DST, one layer each (repeatable; owner forced to 0:0)")
	flag.Var(&mkdirs, "mkdir", "DST[:MODE[:UID:GID]] directory (octal mode, default 755; owner 0:0) in a last layer (repeatable)")
	flag.Var(&files, "file", "DST[:MODE[:UID:GID]]=TEXT or =@HOSTFILE regular file (mode default 644; owner 0:0) in the last layer (repeatable)")
	flag.Var(&envs, "env", "K=V image config Env entry (repeatable)")
	flag.Var(&labels, "label", "K=V image config label (repeatable)")
	flag.StringVar(&o.user, "user", "", "image config User")
	flag.StringVar(&o.workdir, "workdir", "", "image config WorkingDir")
	cmd := flag.String("cmd", "", `image config Cmd as a JSON array, e.g. '["bash"]'`)
	flag.StringVar(&o.layout, "layout", "", "OCI layout directory that keeps the image (required)")
	flag.StringVar(&o.name, "name", "", "name of the image in the layout (org.opencontainers.image.ref.name; required)")
	flag.Var(&platforms, "platform", "OS/ARCH[/VARIANT]: make an image index with one manifest per platform, same layers (repeatable; default: one image for the host platform)")
	flag.Var(&tags, "tag", "registry reference to push to (repeatable; plain HTTP is allowed)")
	epoch := flag.Int64("epoch", 0, "timestamp (unix seconds) for all files and the config")
	flag.BoolVar(&o.status, "status", false, "only print what would be done: up-to-date, push or build")
	flag.Parse()
	if flag.NArg() != 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", flag.Args())
	}
	if o.layout == "" || o.name == "" {
		return nil, errors.New("-layout and -name are required")
	}
	for _, a := range adds {
		src, dst, ok := strings.Cut(a, ":")
		if !ok || src == "" || !path.IsAbs(dst) {
			return nil, fmt.Errorf("bad -add %q: want SRC:/ABS/DST", a)
		}
		o.adds = append(o.adds, addSpec{src: src, dst: path.Clean(dst)})
	}
	for _, p := range rootfsPaths {
		n := cleanName(p)
		if n == "" {
			return nil, fmt.Errorf("bad -rootfs-path %q: want a path below /", p)
		}
		o.rootfsPaths = append(o.rootfsPaths, n)
	}
	if len(o.rootfsPaths) > 0 && o.rootfs == "" {
		return nil, errors.New("-rootfs-path needs -rootfs")
	}
	for _, m := range mkdirs {
		dst, mode, uid, gid, err := parseEntry(m, 0o755)
		if err != nil {
			return nil, fmt.Errorf("bad -mkdir %q: %v", m, err)
		}
		o.mkdirs = append(o.mkdirs, mkdirSpec{dst: dst, mode: mode, uid: uid, gid: gid})
	}
	for _, f := range files {
		spec, content, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("bad -file %q: want DST[:MODE[:UID:GID]]=TEXT or =@HOSTFILE", f)
		}
		dst, mode, uid, gid, err := parseEntry(spec, 0o644)
		if err != nil {
			return nil, fmt.Errorf("bad -file %q: %v", spec, err)
		}
		fspec := fileSpec{dst: dst, mode: mode, uid: uid, gid: gid, data: []byte(content)}
		if from, ok := strings.CutPrefix(content, "@"); ok {
			if fspec.data, err = os.ReadFile(from); err != nil {
				return nil, fmt.Errorf("-file %s: %w", dst, err)
			}
		}
		o.files = append(o.files, fspec)
	}
	seen := map[string]bool{}
	for _, m := range o.mkdirs {
		if seen[m.dst] {
			return nil, fmt.Errorf("%s is given twice", m.dst)
		}
		seen[m.dst] = true
	}
	for _, f := range o.files {
		if seen[f.dst] {
			return nil, fmt.Errorf("%s is given twice", f.dst)
		}
		seen[f.dst] = true
	}
	for _, p := range platforms {
		pl, err := v1.ParsePlatform(p)
		if err != nil || pl.OS == "" || pl.Architecture == "" {
			return nil, fmt.Errorf("bad -platform %q: want OS/ARCH[/VARIANT]", p)
		}
		o.platforms = append(o.platforms, *pl)
	}
	for _, e := range envs {
		if !strings.Contains(e, "=") {
			return nil, fmt.Errorf("bad -env %q: want K=V", e)
		}
	}
	o.env = envs
	for _, l := range labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			return nil, fmt.Errorf("bad -label %q: want K=V", l)
		}
		o.labels[k] = v
	}
	if *cmd != "" {
		if err := json.Unmarshal([]byte(*cmd), &o.cmd); err != nil {
			return nil, fmt.Errorf("bad -cmd %q: %v", *cmd, err)
		}
	}
	o.tags = tags
	o.epoch = time.Unix(*epoch, 0).UTC()
	return o, nil
}

// parseEntry parses DST[:MODE[:UID:GID]] (octal mode, numeric owner).
func parseEntry(s string, defMode int64) (dst string, mode int64, uid, gid int, err error) {
	parts := strings.Split(s, ":")
	if !path.IsAbs(parts[0]) || path.Clean(parts[0]) == "/" {
		return "", 0, 0, 0, errors.New("path must be absolute and not /")
	}
	dst, mode = path.Clean(parts[0]), defMode
	switch len(parts) {
	case 1:
	case 2, 4:
		if mode, err = strconv.ParseInt(parts[1], 8, 64); err != nil || mode < 0 || mode > 0o7777 {
			return "", 0, 0, 0, fmt.Errorf("bad octal mode %q", parts[1])
		}
		if len(parts) == 4 {
			uid, err = strconv.Atoi(parts[2])
			if err == nil {
				gid, err = strconv.Atoi(parts[3])
			}
			if err != nil || uid < 0 || gid < 0 {
				return "", 0, 0, 0, fmt.Errorf("bad numeric owner %s:%s", parts[2], parts[3])
			}
		}
	default:
		return "", 0, 0, 0, errors.New("want DST[:MODE[:UID:GID]]")
	}
	return dst, mode, uid, gid, nil
}
