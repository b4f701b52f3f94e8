package main

// The CI cycle's registries: one instance of the test bed's registry
// program (hack/tools/cmd/registry) per project and tool, each with an empty
// directory, and what a build sent to it and fetched from it, read from its
// request log and manifest journal.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// ciRegistry is a registry the CI cycle started.
type ciRegistry struct {
	addr string // 127.0.0.1:<port>
	dir  string // blobs/ and manifests.jsonl
	log  string // its request log
	cmd  *exec.Cmd
	done chan error
	// What traffic() has read so far, and the blobs each repository got.
	logOff   int64
	journalN int
	has      map[string]map[string]bool
}

// startRegistry starts the test bed's registry binary on a free loopback
// port with an empty directory, and waits until it answers.
func (b *bench) startRegistry(ctx context.Context, dir, logPath string) (*ciRegistry, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	if err := freshDir(dir); err != nil {
		return nil, err
	}
	r := &ciRegistry{addr: fmt.Sprintf("127.0.0.1:%d", port), dir: dir, log: logPath, done: make(chan error, 1),
		has: map[string]map[string]bool{}}
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(b.bin, "registry"), "-addr", r.addr, "-dir", dir)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	r.cmd = cmd
	go func() {
		r.done <- cmd.Wait()
		f.Close()
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + r.addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r, nil
			}
		}
		select {
		case err := <-r.done:
			r.done <- err
			return nil, fmt.Errorf("registry on %s exited (%v); see %s", r.addr, err, logPath)
		case <-ctx.Done():
			r.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.stop()
			return nil, fmt.Errorf("registry on %s did not answer within 10s; see %s", r.addr, logPath)
		}
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// stop ends the registry and deletes its directory.
func (r *ciRegistry) stop() {
	if r == nil || r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.done:
		r.done <- err
	case <-time.After(15 * time.Second):
		_ = r.cmd.Process.Kill()
		err := <-r.done
		r.done <- err
	}
	r.cmd = nil
	if err := removeAll(r.dir); err != nil {
		logf("warning: %v", err)
	}
}

// Traffic is what one build sent to a registry and fetched from it.
type Traffic struct {
	// Uploaded is every byte the registry stored: blob uploads plus manifest
	// bodies. By repository: Image (the pushed image's) and Cache.
	Uploaded      int64 `json:"uploaded_bytes"`
	ImageUploaded int64 `json:"image_uploaded_bytes"`
	CacheUploaded int64 `json:"cache_uploaded_bytes"`
	BlobUploads   int   `json:"blob_uploads"`
	Manifests     int   `json:"manifest_puts"`
	// Downloaded is the blobs fetched (cache import), Mounts the blobs
	// linked from another repository instead of uploaded.
	Downloaded int64 `json:"downloaded_bytes"`
	Mounts     int   `json:"mounts"`
	// CrossRepo is the bytes of the blobs BuildKit found already there
	// (HEAD) in a repository they had never been uploaded to: this registry
	// keeps one blob store for all repositories, and a registry that keeps
	// blobs per repository would have received these too.
	CrossRepo int64 `json:"cross_repo_bytes"`
	// Repositories lists the bytes uploaded by repository, sorted.
	Repositories []RepoBytes `json:"repositories"`
}

// RepoBytes is the bytes uploaded to one repository.
type RepoBytes struct {
	Repo  string `json:"repo"`
	Bytes int64  `json:"bytes"`
}

// traffic reads what the registry logged and journaled since the last call.
// The registry logs one line per request once it has answered, "<date>
// <time> <METHOD> <url>", with the status and error code appended when the
// request failed. A blob upload ends with a PUT (or a monolithic POST) that
// names the digest; the blob's size is that of the file it stored.
func (r *ciRegistry) traffic(imageRepo, cacheRepo string) (Traffic, error) {
	var t Traffic
	byRepo := map[string]int64{}
	add := func(repo string, n int64) {
		t.Uploaded += n
		byRepo[repo] += n
		switch repo {
		case imageRepo:
			t.ImageUploaded += n
		case cacheRepo:
			t.CacheUploaded += n
		}
	}
	f, err := os.Open(r.log)
	if err != nil {
		return t, err
	}
	defer f.Close()
	if _, err := f.Seek(r.logOff, 0); err != nil {
		return t, err
	}
	rd := bufio.NewReader(f)
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			break // a partial last line is read next time
		}
		r.logOff += int64(len(line))
		fields := strings.Fields(line)
		if len(fields) != 4 { // failed requests have more fields
			continue
		}
		method, u := fields[2], fields[3]
		pu, err := url.Parse(u)
		if err != nil {
			continue
		}
		repo, rest, ok := strings.Cut(strings.TrimPrefix(pu.Path, "/v2/"), "/blobs/")
		if !ok {
			continue
		}
		q := pu.Query()
		if r.has[repo] == nil {
			r.has[repo] = map[string]bool{}
		}
		switch {
		case (method == "PUT" || method == "POST") && q.Get("digest") != "":
			n, err := r.blobSize(q.Get("digest"))
			if err != nil {
				return t, fmt.Errorf("%s %s: %w", method, u, err)
			}
			add(repo, n)
			t.BlobUploads++
			r.has[repo][q.Get("digest")] = true
		case method == "POST" && q.Get("mount") != "":
			t.Mounts++
			r.has[repo][q.Get("mount")] = true
		case method == "HEAD" && strings.HasPrefix(rest, "sha256:") && !r.has[repo][rest]:
			n, err := r.blobSize(rest)
			if err != nil {
				return t, fmt.Errorf("%s %s: %w", method, u, err)
			}
			t.CrossRepo += n
			r.has[repo][rest] = true
		case method == "GET" && strings.HasPrefix(rest, "sha256:"):
			n, err := r.blobSize(rest)
			if err != nil {
				return t, fmt.Errorf("%s %s: %w", method, u, err)
			}
			t.Downloaded += n
		}
	}
	recs, err := readJournal(filepath.Join(r.dir, journalFile))
	if err != nil {
		return t, err
	}
	for _, rec := range recs[min(r.journalN, len(recs)):] {
		repo, _, ok := strings.Cut(strings.TrimPrefix(rec.Path, "/v2/"), "/manifests/")
		if rec.Method == "PUT" && ok {
			add(repo, int64(len(rec.Body)))
			t.Manifests++
		}
	}
	r.journalN = len(recs)
	for repo, n := range byRepo {
		t.Repositories = append(t.Repositories, RepoBytes{Repo: repo, Bytes: n})
	}
	sort.Slice(t.Repositories, func(i, j int) bool { return t.Repositories[i].Repo < t.Repositories[j].Repo })
	return t, nil
}

func (r *ciRegistry) blobSize(digest string) (int64, error) {
	algo, hex, ok := strings.Cut(digest, ":")
	if !ok || algo != "sha256" || len(hex) != 64 || strings.ContainsAny(hex, "/.") {
		return 0, fmt.Errorf("not a sha256 digest: %q", digest)
	}
	st, err := os.Stat(filepath.Join(r.dir, "blobs", algo, hex))
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// journalFile is the registry's manifest journal (hack/tools/cmd/registry).
const journalFile = "manifests.jsonl"

type journalRecord struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Body   []byte `json:"body,omitempty"`
}

func readJournal(p string) ([]journalRecord, error) {
	f, err := os.Open(p)
	if os.IsNotExist(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []journalRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		var rec journalRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, rec)
	}
	return out, sc.Err()
}
