package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
)

// formatVersion is part of the input hash; bump it when the layer format or
// config produced by this program changes.
const formatVersion = "mkimage/1"

// inputKey hashes everything the image is made from.
func inputKey(o *options) (string, error) {
	h := sha256.New()
	w := func(parts ...any) { fmt.Fprintln(h, parts...) }
	w(formatVersion, runtime.GOOS, runtime.GOARCH, runtime.Version())
	// The rootfs is identified by its name: the caller encodes the recipe in
	// it, and it may be absent when the image only has to be pushed again.
	w("rootfs", filepath.Base(o.rootfs))
	for _, a := range o.adds {
		w("add", a.src, a.dst)
		fi, err := os.Stat(a.src)
		if err != nil {
			return "", err
		}
		if !fi.IsDir() {
			w(fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
			continue
		}
		err = filepath.WalkDir(a.src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(a.src, p)
			var link string
			if fi.Mode()&fs.ModeSymlink != 0 {
				link, _ = os.Readlink(p)
			}
			w(rel, fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), link)
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	for _, m := range o.mkdirs {
		w("mkdir", m.dst, m.mode)
	}
	w("env", o.env)
	keys := make([]string, 0, len(o.labels))
	for k := range o.labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w("label", k, o.labels[k])
	}
	w("workdir", o.workdir, "cmd", o.cmd, "epoch", o.epoch.Unix())
	// Inputs added after the first version are only hashed when used, so
	// that images made without them keep their key.
	for _, p := range o.rootfsPaths {
		w("rootfs-path", p)
	}
	for _, f := range o.files {
		sum := sha256.Sum256(f.data)
		w("file", f.dst, f.mode, f.uid, f.gid, hex.EncodeToString(sum[:]))
	}
	for _, m := range o.mkdirs {
		if m.uid != 0 || m.gid != 0 {
			w("mkdir-owner", m.dst, m.uid, m.gid)
		}
	}
	if o.user != "" {
		w("user", o.user)
	}
	for _, p := range o.platforms {
		w("platform", p.String())
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
