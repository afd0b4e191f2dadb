# syntax=docker/dockerfile:1
#
# Two images from one file (see "Docker" in README.md):
#
#   docker build -t gateway .                     the default: every engine (workers, single instances)
#   docker build --target edge -t gateway:edge .  no engine (edges: GATEWAY_JOBS_WORKERS=0)
#
# Both run as the non-root user gateway (uid and gid 10001), which owns its
# data directory. The Debian release of the runtime stages is the one CI
# installs .ci/apt-packages on (bookworm), so the package names are the same;
# deploy/ holds the tests that keep this file, docker-compose.yml and CI
# in step.

# Build: a static binary. .git is not in the build context (.dockerignore),
# so Go cannot stamp the VCS revision: the version comes from VERSION, such
# as --build-arg VERSION=$(git describe --tags --always --dirty), which also
# names the commit.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/gateway ./cmd/gateway

# What both images share: tini as PID 1 (it forwards signals and reaps the
# engines' orphans), the user, and its directories. The user has a fixed
# uid and gid so that files on volumes keep their owner from one image to
# the next, and USER names it by number so that Kubernetes' runAsNonRoot can
# check it. Docker copies a directory's owner into a fresh named volume
# mounted over it, so the data directory and /srv/media (for file://
# buckets, see docker-compose.yml) are made and chowned here, before VOLUME.
FROM debian:bookworm-slim AS base
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 gateway \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/gateway --shell /usr/sbin/nologin gateway \
 && mkdir -p /var/lib/gateway/data /srv/media \
 && chown 10001:10001 /var/lib/gateway /var/lib/gateway/data /srv/media \
 && chmod 0750 /var/lib/gateway/data
ENV GATEWAY_ADDR=:8080 \
    GATEWAY_DATA_DIR=/var/lib/gateway/data
WORKDIR /var/lib/gateway
EXPOSE 8080
VOLUME ["/var/lib/gateway/data"]
# `gateway healthcheck` asks /healthz on the port of GATEWAY_ADDR, which
# edges and workers both serve; the image has no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/gateway", "healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/gateway"]
CMD ["serve"]

# Edge: verifies, routes, streams and queues jobs; runs no engine.
FROM base AS edge
COPY --from=build /out/gateway /usr/local/bin/gateway
USER 10001:10001
ARG VERSION=dev
LABEL org.opencontainers.image.title="gateway (edge, no engines)" \
      org.opencontainers.image.version="${VERSION}"

# Full (the default target, so it stays last): every engine from Debian's
# packages, the same as .ci/apt-packages installs for the engine tests, and
# fonts. Liberation, Carlito and Caladea are metric-compatible with the
# Microsoft fonts office documents name; DejaVu and Noto cover the other
# scripts (add fonts-noto-cjk for Chinese, Japanese and Korean, about 300 MB).
FROM base AS full
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui python3-uno \
      chromium \
      ffmpeg \
      libvips-tools \
      qpdf poppler-utils \
      fonts-liberation2 fonts-crosextra-carlito fonts-crosextra-caladea \
      fonts-dejavu-core fonts-noto-core \
 && rm -rf /var/lib/apt/lists/*
# Docker's default seccomp profile refuses the user namespaces Chromium's
# sandbox needs to a non-root process, so the image runs Chromium without
# it (see "chromium" in docs/engines.md for what that costs and how to keep
# the sandbox). The gateway's own default outside the image stays true.
ENV GATEWAY_ENGINES_CHROME_SANDBOX=false
COPY --from=build /out/gateway /usr/local/bin/gateway
USER 10001:10001
ARG VERSION=dev
LABEL org.opencontainers.image.title="gateway" \
      org.opencontainers.image.version="${VERSION}"
