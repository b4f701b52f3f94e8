// Command imagesize prints the platforms and sizes of the images in an OCI
// layout (a directory or a tar, as buildctl and buildx export with type=oci).
package main

import (
	"fmt"
	"os"

	"github.com/gobuild/gobuild/integration/imagetest"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: imagesize OCI-LAYOUT")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "imagesize:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	l, err := imagetest.OpenLayout(path)
	if err != nil {
		return err
	}
	defer l.Close()
	ms, err := l.Manifests()
	if err != nil {
		return err
	}
	for _, m := range ms {
		img, err := l.Image(m.Platform)
		if err != nil {
			return err
		}
		fmt.Printf("%s  %s  %d layers  %d bytes (%.1f MiB) compressed\n", path, m.Platform, len(img.Layers), img.CompressedSize, float64(img.CompressedSize)/(1<<20))
	}
	return nil
}
