// Command mkimage assembles a container image from a root filesystem tarball
// (or a part of it), host files and directories, and files and directories
// given on the command line; keeps it in an OCI layout on disk and pushes it
// to a registry under one or more tags. It is used by hack/testbed/up to make
// the local golang builder image and the distroless static stand-in.
//
// Without -platform the image is a single manifest for the host platform.
// With -platform (repeatable) it is an image index: the same layers with one
// config and manifest per platform, which suits images whose files do not
// depend on the architecture.
//
// Layers are deterministic: entries are sorted, timestamps are set to -epoch,
// user and group names are dropped, and gzip output is produced by the Go
// standard library at a fixed level. The same inputs give the same digest.
//
// Files and directories from -file and -mkdir go into one last layer, with
// numeric owners (0:0 unless given) and any missing parent directories
// (0755, 0:0).
//
// The image in the layout is annotated with a hash of its inputs (flags plus
// the names, sizes, modes and mtimes of the host files, and the contents of
// -file files). When a matching image is already in the layout it is reused
// and only pushed, so a restarted registry is refilled without rebuilding the
// layers or the rootfs.
//
// Example:
//
//	mkimage -rootfs rootfs.tar -add /usr/local/go:/usr/local/go \
//	  -mkdir /go:1777 -env GOPATH=/go -workdir /go -cmd '["bash"]' \
//	  -layout state/oci -name golang -tag 127.0.0.1:5000/library/golang:1.26
//
//	mkimage -rootfs rootfs.tar -rootfs-path usr/share/zoneinfo \
//	  -file /etc/passwd:644="$passwd" -file /etc/ssl/certs/ca.crt:644=@/etc/ssl/certs/ca.crt \
//	  -mkdir /home/nonroot:700:65532:65532 -user 65532 \
//	  -platform linux/amd64 -platform linux/arm64/v8 \
//	  -layout state/oci-distroless -name static-nonroot -tag 127.0.0.1:5000/distroless/static:nonroot
package main

import (
	"context"
	"fmt"
	"log"
	"os/signal"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("mkimage: ")
	opts, err := parseFlags()
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, o *options) error {
	key, err := inputKey(o)
	if err != nil {
		return err
	}
	lp, err := openLayout(o.layout)
	if err != nil {
		return err
	}
	img, err := findArtifact(lp, o.name, key)
	if err != nil {
		return err
	}
	refs := make([]name.Reference, 0, len(o.tags))
	for _, t := range o.tags {
		r, err := name.ParseReference(t, name.Insecure)
		if err != nil {
			return fmt.Errorf("bad -tag %q: %w", t, err)
		}
		refs = append(refs, r)
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuth(authn.Anonymous)}

	if img != nil {
		d, err := img.Digest()
		if err != nil {
			return err
		}
		if upToDate(refs, d, ropts) {
			log.Printf("%s: %s already pushed to all tags", o.name, d)
			if o.status {
				fmt.Println("up-to-date")
			}
			return nil
		}
		if o.status {
			fmt.Println("push")
			return nil
		}
		log.Printf("%s: reusing %s from the OCI layout", o.name, d)
	} else {
		if o.status {
			fmt.Println("build")
			return nil
		}
		start := time.Now()
		img, err = build(lp, o, key)
		if err != nil {
			return err
		}
		d, _ := img.Digest()
		log.Printf("%s: built %s in %s", o.name, d, time.Since(start).Round(time.Millisecond))
	}
	return push(refs, img, ropts)
}
