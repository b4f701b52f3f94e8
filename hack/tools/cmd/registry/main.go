// Command registry serves a small OCI distribution registry over plain HTTP
// on a loopback address for the local BuildKit test bed (hack/testbed).
//
// It wraps go-containerregistry's pkg/registry. Blobs are stored on disk
// under <dir>/blobs. That package keeps manifests in memory only, so this
// program also appends every successful manifest PUT/DELETE to
// <dir>/manifests.jsonl and replays that journal on start: a restarted
// registry serves the same tags without anything being pushed again.
//
// It is a test tool: no auth, no TLS, no garbage collection.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

const journalName = "manifests.jsonl"

// record is one line of the manifest journal.
type record struct {
	Method      string `json:"method"` // PUT or DELETE
	Path        string `json:"path"`   // /v2/<repo>/manifests/<tag-or-digest>
	ContentType string `json:"contentType,omitempty"`
	Body        []byte `json:"body,omitempty"` // base64 in JSON
}

type journal struct {
	mu sync.Mutex
	f  *os.File
}

func (j *journal) append(r record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(b); err != nil {
		return err
	}
	return j.f.Sync()
}

// statusRecorder remembers the status code written by the inner handler.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func isManifestPath(p string) bool {
	return strings.HasPrefix(p, "/v2/") && strings.Contains(p, "/manifests/")
}

// persist wraps the registry handler and journals manifest writes.
func persist(inner http.Handler, j *journal, logger *log.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isManifestPath(r.URL.Path) || (r.Method != http.MethodPut && r.Method != http.MethodDelete) {
			inner.ServeHTTP(w, r)
			return
		}
		var body []byte
		if r.Method == http.MethodPut {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
				return
			}
			body = b
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		sr := &statusRecorder{ResponseWriter: w}
		inner.ServeHTTP(sr, r)
		if sr.status == http.StatusCreated || sr.status == http.StatusAccepted {
			rec := record{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Body: body}
			if err := j.append(rec); err != nil {
				logger.Printf("ERROR: journaling %s %s: %v", r.Method, r.URL.Path, err)
			}
		}
	})
}

// replay feeds the journal back into a fresh registry handler.
func replay(path string, inner http.Handler) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rec record
		if err := json.Unmarshal(line, &rec); err != nil {
			// A torn last line (crash while writing) is ignored.
			log.Printf("WARN: skipping bad journal line %d: %v", n+1, err)
			continue
		}
		req := httptest.NewRequest(rec.Method, rec.Path, bytes.NewReader(rec.Body))
		if rec.ContentType != "" {
			req.Header.Set("Content-Type", rec.ContentType)
		}
		rr := httptest.NewRecorder()
		inner.ServeHTTP(rr, req)
		if rr.Code >= 300 {
			log.Printf("WARN: replaying %s %s: status %d: %s", rec.Method, rec.Path, rr.Code, strings.TrimSpace(rr.Body.String()))
		}
		n++
	}
	return n, sc.Err()
}

func checkLoopback(addr string, allowAny bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if allowAny || host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing to listen on non-loopback address %q (use -allow-non-loopback to override)", addr)
	}
	return nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:5000", "listen address (loopback)")
	dir := flag.String("dir", "", "state directory (blobs and manifest journal); required")
	allowAny := flag.Bool("allow-non-loopback", false, "allow listening on a non-loopback address")
	quiet := flag.Bool("quiet", false, "do not log every request")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	if err := checkLoopback(*addr, *allowAny); err != nil {
		log.Fatal(err)
	}
	blobDir := filepath.Join(*dir, "blobs")
	if err := os.MkdirAll(blobDir, 0o755); err != nil {
		log.Fatal(err)
	}

	logger := log.New(os.Stderr, "", log.LstdFlags)
	reqLogger := logger
	if *quiet {
		reqLogger = log.New(io.Discard, "", 0)
	}
	inner := registry.New(
		registry.Logger(reqLogger),
		registry.WithBlobHandler(registry.NewDiskBlobHandler(blobDir)),
		registry.WithReferrersSupport(true),
	)

	jpath := filepath.Join(*dir, journalName)
	n, err := replay(jpath, inner)
	if err != nil {
		log.Fatalf("replaying %s: %v", jpath, err)
	}
	jf, err := os.OpenFile(jpath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		log.Fatal(err)
	}
	defer jf.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{
		Handler:           persist(inner, &journal{f: jf}, logger),
		ReadHeaderTimeout: 30 * time.Second,
	}
	logger.Printf("registry listening on http://%s (dir %s, %d manifest records replayed)", ln.Addr(), *dir, n)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		log.Fatal(err)
	case <-ctx.Done():
	}
	logger.Printf("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
}
