#!/usr/bin/env bash
# Builds Botkube v1.14.0 for the side-by-side benchmark (bench/botkube/run.mjs), once, into
# ~/.cache/coxswain-stack/botkube-v1.14.0/ (outside the repository):
#   bin/botkube-agent                         the agent (cmd/botkube-agent)
#   plugins/executor_kubectl_linux_amd64      the kubectl executor plugin (cmd/executor/kubectl)
#   plugins/source_kubernetes_linux_amd64     the Kubernetes source plugin (cmd/source/kubernetes)
#   plugins/kubectl_linux_amd64               the kubectl binary the executor runs (its "dependency")
#   BUILD.txt                                 the exact commands, Go version and module sums
# All three Go programs come from the one module github.com/kubeshop/botkube@v1.14.0, fetched
# from the Go module proxy (no GitHub release downloads). The flags are those of Botkube's own
# .goreleaser.yml / .goreleaser.plugin.yaml for a linux/amd64 build: CGO_ENABLED=0, -s -w, the
# version stamped by -X (analytics key left empty: analytics are also disabled in the config).
# The kubectl dependency is not downloaded either: it is the test stack's own kubectl
# (test/stack/install.sh builds it from k8s.io/kubernetes at K8S_VERSION of versions.env), where
# Botkube's index would name kubectl v1.28.1 from dl.k8s.io (internal/executor/kubectl/executor.go).
# The plugin index is not built here: run.mjs writes it and serves it, with these binaries and
# the kubectl dependency, from a local HTTP server, as plugins.repositories.botkube.url.
# A second run with everything present does nothing.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../../test/stack/lib.sh"
BOTKUBE_VERSION=v1.14.0
MODULE=github.com/kubeshop/botkube
CACHE=${BOTKUBE_CACHE:-$STACK_CACHE_ROOT/botkube-$BOTKUBE_VERSION}
log() { printf '[botkube-build %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

OUTPUTS=(bin/botkube-agent plugins/executor_kubectl_linux_amd64 plugins/source_kubernetes_linux_amd64 plugins/kubectl_linux_amd64)
built() { local f; for f in "${OUTPUTS[@]}"; do [[ -x $CACHE/$f ]] || return 1; done; [[ -s $CACHE/BUILD.txt ]]; }
if built; then log "cached: $CACHE"; exit 0; fi
command -v go >/dev/null || { log "ERROR: go is not on PATH"; exit 1; }
[[ $(go env GOOS)/$(go env GOARCH) == linux/amd64 ]] || { log "ERROR: only linux/amd64 is wired up here"; exit 1; }

mkdir -p "$CACHE/bin" "$CACHE/plugins"
exec 9>"$CACHE/.build.lock"
flock 9
if built; then log "cached: $CACHE"; exit 0; fi

# The kubectl the executor plugin shells out to: the stack's (built from the k8s module).
stack_binaries_present || bash "$STACK_DIR/install.sh"
cp "$STACK_BIN/kubectl" "$CACHE/plugins/kubectl_linux_amd64"

# The module's own go.mod (with its replace of hashicorp/go-getter by kubeshop/go-getter) must
# be the main module, so build in a writable copy of the module from the module cache.
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
start=$(date +%s)
log "downloading $MODULE@$BOTKUBE_VERSION from the Go module proxy"
SRC=$(go mod download -json "$MODULE@$BOTKUBE_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[[ -d $SRC ]] || { log "ERROR: go mod download gave no module directory"; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -r "$SRC/." "$WORK/src"
chmod -R u+w "$WORK/src"
cd "$WORK/src"

AGENT_LDFLAGS="-s -w -X $MODULE/pkg/version.Version=$BOTKUBE_VERSION -X $MODULE/pkg/version.GitCommitID=30e95881e4f100a19d679e6f18f5ae91ee038894 -X $MODULE/internal/analytics.APIKey="
PLUGIN_LDFLAGS="-s -w -X main.version=$BOTKUBE_VERSION"
CMDS=(
  "go build -trimpath -ldflags '$AGENT_LDFLAGS' -o $CACHE/bin/botkube-agent ./cmd/botkube-agent"
  "go build -trimpath -ldflags '$PLUGIN_LDFLAGS' -o $CACHE/plugins/executor_kubectl_linux_amd64 ./cmd/executor/kubectl"
  "go build -trimpath -ldflags '$PLUGIN_LDFLAGS' -o $CACHE/plugins/source_kubernetes_linux_amd64 ./cmd/source/kubernetes"
)
for cmd in "${CMDS[@]}"; do
  log "$cmd"
  eval "$cmd"
done

{
  echo "Botkube $BOTKUBE_VERSION built $(date -u +%FT%TZ) by bench/botkube/build.sh"
  echo "module: $MODULE@$BOTKUBE_VERSION $(go mod download -json "$MODULE@$BOTKUBE_VERSION" | sed -n 's/^\t"Sum": "\(.*\)",$/\1/p') (git 30e95881e4f1, tag v1.14.0)"
  echo "go: $(go version); env: CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly, in a copy of the module directory"
  for cmd in "${CMDS[@]}"; do echo "  $cmd" | sed "s|$CACHE/||"; done
  echo "kubectl dependency: the test stack's kubectl $K8S_VERSION ($("$CACHE/plugins/kubectl_linux_amd64" version --client 2>/dev/null | head -n 1))"
} >"$CACHE/BUILD.txt"
log "built in $(($(date +%s) - start))s into $CACHE"
