# The edgelab image that deploy/sweep-job.yaml and deploy/sweep-merge-job.yaml
# run (image: edgelab:latest). Build and load it with:
#
#   docker build -t edgelab:latest .
#   kind load docker-image edgelab:latest      # a kind cluster, or
#   minikube image load edgelab:latest         # minikube, or push it to your
#                                              # registry and edit image:
#
# Stage 1 builds a static binary (no cgo, so it needs no libc); stage 2 is a
# small base with the POSIX shell the Jobs' scripts use, running as an
# unprivileged user.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/edgelab ./cmd/edgelab

FROM busybox:1.37-musl
COPY --from=build /out/edgelab /usr/local/bin/edgelab
# 65532: the conventional "nonroot" user; the Jobs give it the results
# volume with fsGroup.
USER 65532:65532
WORKDIR /tmp
ENTRYPOINT ["/usr/local/bin/edgelab"]
