# Build: a static gateway binary.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/gateway ./cmd/gateway

# Run: Debian, so the conversion engines' packages can be added with apt-get.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/gateway --create-home gateway
COPY --from=build /out/gateway /usr/local/bin/gateway
USER gateway
WORKDIR /var/lib/gateway
ENV GATEWAY_ADDR=:8080 \
    GATEWAY_DATA_DIR=/var/lib/gateway/data
EXPOSE 8080
VOLUME ["/var/lib/gateway/data"]
HEALTHCHECK --interval=10s --timeout=5s CMD ["/usr/local/bin/gateway", "healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/gateway"]
CMD ["serve"]
