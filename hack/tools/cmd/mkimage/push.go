package main

import (
	"fmt"
	"log"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func upToDate(refs []name.Reference, want v1.Hash, ropts []remote.Option) bool {
	for _, r := range refs {
		d, err := remote.Head(r, ropts...)
		if err != nil || d.Digest != want {
			return false
		}
	}
	return true
}

func push(refs []name.Reference, img artifact, ropts []remote.Option) error {
	if len(refs) == 0 {
		return nil
	}
	d, _ := img.Digest()
	start := time.Now()
	var err error
	switch a := img.(type) {
	case v1.Image:
		err = remote.Write(refs[0], a, ropts...)
	case v1.ImageIndex:
		err = remote.WriteIndex(refs[0], a, ropts...)
	default:
		err = fmt.Errorf("unexpected %T", img)
	}
	if err != nil {
		return fmt.Errorf("pushing %s: %w", refs[0], err)
	}
	for _, r := range refs[1:] {
		t, ok := r.(name.Tag)
		if !ok {
			return fmt.Errorf("%s is not a tag", r)
		}
		if err := remote.Tag(t, img, ropts...); err != nil {
			return fmt.Errorf("tagging %s: %w", r, err)
		}
	}
	for _, r := range refs {
		log.Printf("pushed %s@%s", r, d)
	}
	log.Printf("push took %s", time.Since(start).Round(time.Millisecond))
	return nil
}
