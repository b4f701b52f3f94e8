# docker-bake.hcl for a repository built with gobuild (docs/ci.md).
#
#   docker buildx bake             the image, with the released frontend its
#                                  gobuild.yaml names on its syntax line
#   docker buildx bake app-next    the same image, with gobuild built from its
#                                  source (an unreleased fix, a branch): no
#                                  frontend image is published or pulled

variable "IMAGE" {
  default = "ghcr.io/acme/app"
}

variable "TAG" {
  default = "dev"
}

# Where gobuild's source comes from for app-next: a Git URL with a branch,
# tag or commit after '#', or a local checkout.
variable "GOBUILD_SRC" {
  default = "https://github.com/gobuild/gobuild.git#main"
}

group "default" {
  targets = ["app"]
}

# The normal case: gobuild.yaml is the Dockerfile. Its first line,
# "# syntax=ghcr.io/gobuild/gobuild:1", picks the frontend.
target "app" {
  context    = "."
  dockerfile = "gobuild.yaml"
  platforms  = ["linux/amd64", "linux/arm64"]
  tags       = ["${IMAGE}:${TAG}"]
  args       = { VERSION = TAG }
}

# The frontend image, built from gobuild's own Dockerfile for the build
# platform (the frontend runs there, whatever the target platforms).
target "gobuild" {
  context    = GOBUILD_SRC
  dockerfile = "Dockerfile"
}

# The target: trick: the frontend is a named context that is the result of
# the "gobuild" target, and BUILDKIT_SYNTAX (which wins over the file's
# syntax line) names that context. Bake builds both in one run.
target "app-next" {
  inherits = ["app"]
  tags     = ["${IMAGE}:${TAG}-next"]
  args     = { BUILDKIT_SYNTAX = "gobuild_next" }
  contexts = { gobuild_next = "target:gobuild" }
}
