# docker buildx bake            builds the frontend image and examples/hello with it
# docker buildx bake frontend   builds the frontend image only
#
# "hello" uses the frontend built by "frontend" in the same bake run (a
# target: context named by BUILDKIT_SYNTAX), so nothing has to be pushed.

variable "GOBUILD_IMAGE" {
  default = "ghcr.io/gobuild/gobuild:1"
}

group "default" {
  targets = ["frontend", "hello"]
}

target "frontend" {
  context    = "."
  dockerfile = "Dockerfile"
  tags       = [GOBUILD_IMAGE]
}

target "hello" {
  context    = "examples/hello"
  dockerfile = "gobuild.yaml"
  args       = { BUILDKIT_SYNTAX = "gobuild_dev" }
  contexts   = { gobuild_dev = "target:frontend" }
  tags       = ["example.com/hello:latest"]
}
