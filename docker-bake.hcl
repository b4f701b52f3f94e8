# docker buildx bake              the default group: the frontend image for
#                                 linux/amd64 and linux/arm64, and every
#                                 example built with that frontend (CI calls this)
# docker buildx bake frontend     the frontend image only, built by gobuild from
#                                 gobuild.yaml with the Dockerfile's frontend-dev
#                                 as its syntax (hack/release adds --push)
# docker buildx bake examples     every example
# docker buildx bake hello        one example
#
# The examples use the frontend built by "frontend-dev" in the same bake run
# (a target: context named by BUILDKIT_SYNTAX), so nothing has to be pushed.

variable "GOBUILD_IMAGE" {
  default = "ghcr.io/gobuild/gobuild:1"
}

# gobuild's own version, stamped into the frontend (gobuild version, the
# SBOM's creator, the org.opencontainers.image.version label).
variable "VERSION" {
  default = "dev"
}

# The frontend target's tags when set (hack/release): comma-separated.
variable "RELEASE_TAGS" {
  default = ""
}

# Where example images are tagged: example.com/<name>:latest by default.
variable "EXAMPLES_REPO" {
  default = "example.com"
}

group "default" {
  targets = ["frontend", "examples"]
}

group "examples" {
  targets = ["hello", "ginserver", "service", "sqlite", "workspace"]
}

# The frontend image to publish, for both platforms: built by gobuild itself
# from gobuild.yaml, with frontend-dev (the Dockerfile, this platform) as its
# syntax, so a release needs no published gobuild. The Go compiler
# cross-compiles it (no emulation). hack/release pushes it with the release's
# tags, an SBOM gobuild writes and provenance; RELEASE_TAGS replaces
# GOBUILD_IMAGE as its tags (comma-separated references).
target "frontend" {
  inherits  = ["frontend-gobuild"]
  platforms = ["linux/amd64", "linux/arm64"]
  tags      = RELEASE_TAGS == "" ? [GOBUILD_IMAGE] : split(",", RELEASE_TAGS)
}

# The frontend for this machine's platform, built by the Dockerfile: the
# bootstrap path for those without gobuild, and the syntax the examples and
# frontend-gobuild run.
target "frontend-dev" {
  context    = "."
  dockerfile = "Dockerfile"
  tags       = [GOBUILD_IMAGE]
  args       = { VERSION = VERSION }
}

# The same frontend image built by gobuild itself, from gobuild.yaml, with
# frontend-dev as its syntax, for this machine's platform: bake
# frontend-gobuild --set frontend-gobuild.output=type=oci,dest=gobuild.tar
target "frontend-gobuild" {
  context    = "."
  dockerfile = "gobuild.yaml"
  args       = { BUILDKIT_SYNTAX = "gobuild_dev", VERSION = VERSION }
  contexts   = { gobuild_dev = "target:frontend-dev" }
}

target "_example" {
  dockerfile = "gobuild.yaml"
  args       = { BUILDKIT_SYNTAX = "gobuild_dev" }
  contexts   = { gobuild_dev = "target:frontend-dev" }
}

target "hello" {
  inherits = ["_example"]
  context  = "examples/hello"
  tags     = ["${EXAMPLES_REPO}/hello:latest"]
}

target "ginserver" {
  inherits = ["_example"]
  context  = "examples/ginserver"
  tags     = ["${EXAMPLES_REPO}/ginserver:latest"]
}

# Both of the service's images: the default one and migrate.
target "service" {
  inherits = ["_example"]
  context  = "examples/service"
  name     = "service-${tgt}"
  matrix   = { tgt = ["service", "migrate"] }
  target   = tgt
  tags     = ["${EXAMPLES_REPO}/${tgt}:latest"]
}

target "sqlite" {
  inherits = ["_example"]
  context  = "examples/sqlite"
  tags     = ["${EXAMPLES_REPO}/sqlite:latest"]
}

target "workspace" {
  inherits = ["_example"]
  context  = "examples/workspace"
  tags     = ["${EXAMPLES_REPO}/workspace-api:latest"]
}
