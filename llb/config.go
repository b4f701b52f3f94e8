// Image config: the OCI image config of one image on one platform, a base
// image's config extended with the image's, or a new one on scratch.

package llb

import (
	"maps"
	"slices"
	"strings"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/spec"
)

// DefaultPath is PATH in the images gobuild makes.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// config is the image config for img on the target platform: a base
// image's config (history and layers included) extended with img's, or a
// new one on scratch.
func (in input) config(img *spec.Image) dockerspec.DockerOCIImage {
	var c dockerspec.DockerOCIImage
	var baseEnv []string
	var labels map[string]string
	if in.Base != nil && in.Base.Config != nil && !img.Scratch() {
		b := in.Base.Config
		c.History = slices.Clone(b.History)
		c.RootFS.DiffIDs = slices.Clone(b.RootFS.DiffIDs)
		c.Config = b.Config
		c.Config.Env = nil
		c.Config.Labels = nil
		c.Config.ExposedPorts = maps.Clone(b.Config.ExposedPorts)
		c.Config.Volumes = maps.Clone(b.Config.Volumes)
		c.Config.OnBuild = nil
		c.Config.Healthcheck = nil
		baseEnv = b.Config.Env
		labels = maps.Clone(b.Config.Labels)
	}
	c.Platform = in.platform()
	c.RootFS.Type = "layers"
	// Env keeps the base's order; gobuild's variables replace or follow it.
	env := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := env[k]; !ok {
			order = append(order, k)
		}
		env[k] = v
	}
	for _, kv := range baseEnv {
		k, v, _ := strings.Cut(kv, "=")
		set(k, v)
	}
	if _, ok := env["PATH"]; !ok {
		set("PATH", DefaultPath)
	}
	for _, k := range slices.Sorted(maps.Keys(img.Env)) {
		set(k, img.Env[k])
	}
	for _, k := range order {
		c.Config.Env = append(c.Config.Env, k+"="+env[k])
	}
	// As with a Dockerfile's ENTRYPOINT, a new entrypoint drops the base's cmd.
	c.Config.Entrypoint = slices.Clone(img.Entrypoint)
	c.Config.Cmd = slices.Clone(img.Cmd)
	c.Config.User = img.User
	if img.Workdir != "" {
		c.Config.WorkingDir = img.Workdir
	} else if c.Config.WorkingDir == "" {
		c.Config.WorkingDir = "/"
	}
	for _, p := range img.Expose {
		if !strings.Contains(p, "/") {
			p += "/tcp"
		}
		if c.Config.ExposedPorts == nil {
			c.Config.ExposedPorts = map[string]struct{}{}
		}
		c.Config.ExposedPorts[p] = struct{}{}
	}
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, in.AutoLabels)
	maps.Copy(labels, img.Labels)
	maps.Copy(labels, in.Labels)
	if len(labels) > 0 {
		c.Config.Labels = labels
	}
	return c
}
