// Command gocacheprog is a GOCACHEPROG program (the protocol of
// cmd/go/internal/cacheprog) that serves the go command's build cache from
// tiers of directories: it reads from a write tier and then from read tiers,
// in order, and writes into the write tier only.
//
// gobuild's dependency steps each write their own layer (the write tier is
// the step's output) while reading the layers of the modules they import
// (the read tiers); the compile reads all the dependency layers while
// writing its persistent cache mount. Every tier is a directory in the
// on-disk format of Go's own build cache, so a directory that a plain
// `GOCACHE=dir go build` wrote is a valid read tier, and the write tier is a
// valid GOCACHE too. Outputs are content-addressed, so an index entry is
// found with its data in any tier, and a put of an output some tier holds
// writes the index entry only: a layer does not repeat what its imports
// hold. Files are written through a temporary file and a rename, so go
// commands sharing the write tier never see half a file; the read tiers
// are never modified, touched or deleted from.
//
// The go command still needs GOCACHE, a writable directory: it creates it
// and keeps its fuzzing cache there, but with a GOCACHEPROG it neither
// reads nor writes nor trims the build cache in it. Nothing trims the tiers.
//
// It is compiled in the builder image, so it uses only the standard library.
// Usage: GOCACHEPROG='gocacheprog -w DIR [-r DIR]...'.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// request and response are cacheprog.Request and cacheprog.Response.
type request struct {
	ID       int64
	Command  string
	ActionID []byte `json:",omitempty"`
	OutputID []byte `json:",omitempty"`
	BodySize int64  `json:",omitempty"`
}

type response struct {
	ID            int64
	Err           string     `json:",omitempty"`
	KnownCommands []string   `json:",omitempty"`
	Miss          bool       `json:",omitempty"`
	OutputID      []byte     `json:",omitempty"`
	Size          int64      `json:",omitempty"`
	Time          *time.Time `json:",omitempty"`
	DiskPath      string     `json:",omitempty"`
}

// tiers are the cache directories, absolute: tiers[0] is the write tier,
// the others are read tiers, in the order they are read.
type tiers []string

func main() {
	t := tiers{""}
	flag.Func("w", "the write tier: a Go build cache directory, read first; every put goes into it", func(dir string) error {
		abs, err := filepath.Abs(dir)
		t[0] = abs
		return err
	})
	flag.Func("r", "a read tier, never modified: a Go build cache directory read after the write tier and the -r before it", func(dir string) error {
		abs, err := filepath.Abs(dir)
		t = append(t, abs)
		return err
	})
	flag.Parse()
	if t[0] == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gocacheprog -w DIR [-r DIR]...")
		flag.PrintDefaults()
		os.Exit(2)
	}
	if err := t.serve(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "gocacheprog: %v\n", err)
		os.Exit(1)
	}
}

// serve answers the go command's requests until close or the end of its
// input. Requests are answered concurrently, as the protocol allows.
func (t tiers) serve(in io.Reader, out io.Writer) error {
	var mu sync.Mutex
	enc := json.NewEncoder(out) // one Write per response: no buffer to flush
	reply := func(res *response) error {
		mu.Lock()
		defer mu.Unlock()
		return enc.Encode(res)
	}
	if err := reply(&response{KnownCommands: []string{"get", "put", "close"}}); err != nil {
		return err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	dec := json.NewDecoder(in)
	for {
		var req request
		if err := dec.Decode(&req); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading a request: %v", err)
		}
		// The body is a base64 JSON string after the request; it decodes
		// into a []byte as is.
		var body []byte
		if req.BodySize > 0 {
			if err := dec.Decode(&body); err != nil {
				return fmt.Errorf("reading the body of request %d: %v", req.ID, err)
			}
		}
		if req.Command == "close" {
			wg.Wait()
			return reply(&response{ID: req.ID})
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := t.handle(&req, body)
			if err != nil {
				res = &response{Err: err.Error()}
			}
			res.ID = req.ID
			reply(res) // fails only once the go command has gone
		}()
	}
}

func (t tiers) handle(req *request, body []byte) (*response, error) {
	if req.Command != "get" && req.Command != "put" {
		return nil, fmt.Errorf("unknown command %q", req.Command)
	}
	if len(req.ActionID) != sha256.Size {
		return nil, fmt.Errorf("%s: action ID of %d bytes, want %d", req.Command, len(req.ActionID), sha256.Size)
	}
	if req.Command == "get" {
		return t.get(req.ActionID), nil
	}
	return t.put(req.ActionID, req.OutputID, body)
}

// get finds the first tier whose index entry for action names an output
// that some tier holds, with the size the entry says; else it is a miss.
func (t tiers) get(action []byte) *response {
	for _, dir := range t {
		res := readEntry(file(dir, action, "a"), action)
		if res == nil {
			continue
		}
		if path := t.find(res.OutputID, res.Size); path != "" {
			t.touch(file(dir, action, "a"))
			t.touch(path)
			res.DiskPath = path
			return res
		}
	}
	return &response{Miss: true}
}

// put writes the output into the write tier unless a tier holds it, and
// the index entry unless a tier already maps action to that output.
func (t tiers) put(action, out, body []byte) (*response, error) {
	if sum := sha256.Sum256(body); len(out) != len(sum) || string(out) != string(sum[:]) {
		return nil, fmt.Errorf("put %x: the body's SHA-256 is %x, not the output ID %x", action, sum, out)
	}
	if res := t.get(action); !res.Miss && string(res.OutputID) == string(out) {
		return &response{DiskPath: res.DiskPath}, nil
	}
	size := int64(len(body))
	path := t.find(out, size)
	if path == "" {
		path = file(t[0], out, "d")
		if err := writeFile(path, body); err != nil {
			return nil, err
		}
	}
	entry := fmt.Sprintf("v1 %x %x %20d %20d\n", action, out, size, time.Now().UnixNano())
	if err := writeFile(file(t[0], action, "a"), []byte(entry)); err != nil {
		return nil, err
	}
	return &response{DiskPath: path}, nil
}

// find returns the path of the first tier's data file of the output that
// has the size.
func (t tiers) find(out []byte, size int64) string {
	for _, dir := range t {
		path := file(dir, out, "d")
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Size() == size {
			return path
		}
	}
	return ""
}

// file is the path of an index entry ("a") or a data file ("d") in a Go
// build cache directory.
func file(dir string, id []byte, kind string) string {
	name := hex.EncodeToString(id)
	return filepath.Join(dir, name[:2], name+"-"+kind)
}

// entrySize is the length of an index entry: "v1 <action> <output>
// <size %20d> <unixnano %20d>\n".
const entrySize = 2 + 1 + 64 + 1 + 64 + 1 + 20 + 1 + 20 + 1

// readEntry reads an index entry as Go's cache does; nil is a miss.
func readEntry(path string, action []byte) *response {
	data, err := os.ReadFile(path)
	if err != nil || len(data) != entrySize || data[entrySize-1] != '\n' {
		return nil
	}
	var id, outHex string
	var size, unixNano int64
	if _, err := fmt.Sscanf(string(data), "v1 %s %s %d %d\n", &id, &outHex, &size, &unixNano); err != nil || id != hex.EncodeToString(action) || size < 0 || unixNano < 0 {
		return nil
	}
	out, err := hex.DecodeString(outHex)
	if err != nil || len(out) != sha256.Size {
		return nil
	}
	tm := time.Unix(0, unixNano)
	return &response{OutputID: out, Size: size, Time: &tm}
}

// writeFile writes a file of the write tier through a temporary file in
// the same directory and a rename. Go's trim leaves the temporary files
// alone (their names do not end in -a or -d), so a failure removes its own.
func writeFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	err = errors.Join(err, f.Chmod(0o644), f.Close())
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// touch sets the mtime of a file of the write tier, not of a read tier,
// once an hour at most, as Go's cache does on use, so that a plain go
// command's trim of the write tier keeps what is used.
func (t tiers) touch(path string) {
	if filepath.Dir(filepath.Dir(path)) != t[0] {
		return
	}
	if fi, err := os.Stat(path); err == nil && time.Since(fi.ModTime()) >= time.Hour {
		now := time.Now()
		os.Chtimes(path, now, now)
	}
}
