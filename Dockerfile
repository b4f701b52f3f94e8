# The gobuild frontend image: static binaries on scratch: the frontend, and
# the tools it runs in the builder (llb/listfiles, llb/gocacheprog), which
# the frontend mounts from its own image into its steps instead of
# compiling them there.
# Build it with `docker buildx bake frontend-dev` (see docker-bake.hcl);
# `bake frontend`, the published image, uses it to build gobuild.yaml.
# gobuild.yaml builds the same image with gobuild itself; this Dockerfile is
# the bootstrap path for those without gobuild. Both put the binaries where a
# gobuild image does (/usr/local/bin, llb.ToolsPath) and run as 65532.
ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
ENV GOTOOLCHAIN=local CGO_ENABLED=0
RUN --mount=type=bind,source=go.mod,target=go.mod \
    --mount=type=bind,source=go.sum,target=go.sum \
    --mount=type=cache,target=/go/pkg/mod \
    go mod download
ARG TARGETOS TARGETARCH TARGETVARIANT
# VERSION is gobuild's own version (gobuild version, the SBOM's creator and
# the image label); hack/release sets it to the release, such as v1.2.3.
ARG VERSION=dev
RUN --mount=type=bind,target=. \
    --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH GOARM=${TARGETVARIANT#v} \
    go build -trimpath -buildvcs=false -ldflags="-s -w -buildid= -X github.com/gobuild/gobuild/internal/version.Version=${VERSION}" -o /out/ ./cmd/gobuild ./llb/listfiles ./llb/gocacheprog

FROM scratch
ARG VERSION=dev
LABEL org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/gobuild /out/listfiles /out/gocacheprog /usr/local/bin/
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/gobuild"]
