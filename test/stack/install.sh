#!/usr/bin/env bash
# Installs what the test stack needs: Debian packages (prometheus, openssl) and the Go
# binaries (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd, kwok,
# alertmanager, amtool) built from the Go module proxy into
# ~/.cache/coxswain-stack/<version-key>/bin. Idempotent: a second run only checks.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

t0=$SECONDS
export GOMAXPROCS=${GOMAXPROCS:-2}
export GOFLAGS="${GOFLAGS:-} -mod=mod"
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
BUILD_P=${STACK_BUILD_P:-2}

# ---- Debian packages -------------------------------------------------------------
need_apt=()
command -v openssl >/dev/null || need_apt+=(openssl)
[[ -x /usr/bin/prometheus ]] || need_apt+=("$PROMETHEUS_DEB")
if ((${#need_apt[@]})); then
  log "apt-get install ${need_apt[*]}"
  SUDO=""; [[ $(id -u) == 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  # Debian's prometheus package would start a system service; the stack runs its own
  # process. policy-rc.d exit 101 forbids service starts during the install.
  created_policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d; created_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
  [[ -n $created_policy ]] && $SUDO rm -f /usr/sbin/policy-rc.d
  command -v systemctl >/dev/null && $SUDO systemctl disable --now prometheus 2>/dev/null || true
fi

# ---- Go binaries -----------------------------------------------------------------
mkdir -p "$STACK_BIN"
# One build at a time per cache (CI and a developer's up.sh may both call this).
exec 9>"$STACK_CACHE_ROOT/.install.lock"
if ! flock -n 9; then log "another install.sh is building into $STACK_CACHE_ROOT; waiting"; flock 9; fi
TIMES=$STACK_CACHE/build-times.txt

# build NAME CMD... : runs CMD (which must produce $STACK_BIN/NAME) unless present,
# recording wall time and peak RSS of the build.
build() {
  local name=$1; shift
  if [[ -x $STACK_BIN/$name ]]; then return 0; fi
  log "building $name"
  local s=$SECONDS tf
  tf=$(mktemp)
  # GNU time reports the peak RSS of the largest waited-for descendant (go, compile, link).
  if ! /usr/bin/time -f '%M' -o "$tf" bash -c '"$@"' _ "$@"; then rm -f "$tf"; die "build of $name failed"; fi
  local rss_kb; rss_kb=$(tail -1 "$tf"); rm -f "$tf"
  local line; line=$(printf '%-24s %4ds  peak RSS %5d MB' "$name" $((SECONDS - s)) $((rss_kb / 1024)))
  log "built $line"
  { grep -v "^$name " "$TIMES" 2>/dev/null || true; echo "$line"; } > "$TIMES.tmp" && mv "$TIMES.tmp" "$TIMES"
}

K8S_LDFLAGS="-s -w -X k8s.io/component-base/version.gitVersion=${K8S_VERSION}"
K8S_LDFLAGS+=" -X k8s.io/component-base/version.gitMajor=$(echo "$K8S_VERSION" | cut -d. -f1 | tr -d v)"
K8S_LDFLAGS+=" -X k8s.io/component-base/version.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2)"
K8S_LDFLAGS+=" -X k8s.io/component-base/version.gitTreeState=clean"
K8S_LDFLAGS+=" -X k8s.io/client-go/pkg/version.gitVersion=${K8S_VERSION}"
K8S_LDFLAGS+=" -X k8s.io/client-go/pkg/version.gitMajor=$(echo "$K8S_VERSION" | cut -d. -f1 | tr -d v)"
K8S_LDFLAGS+=" -X k8s.io/client-go/pkg/version.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2)"

k8s_build() { (cd "$STACK_DIR/build/k8s" && go build -p "$BUILD_P" -trimpath -ldflags "$K8S_LDFLAGS" -o "$STACK_BIN/$1.tmp" "k8s.io/kubernetes/cmd/$1" && mv "$STACK_BIN/$1.tmp" "$STACK_BIN/$1"); }
etcd_build() { (cd "$STACK_DIR/build/etcd" && go build -p "$BUILD_P" -trimpath -ldflags "-s -w" -o "$STACK_BIN/etcd.tmp" . && mv "$STACK_BIN/etcd.tmp" "$STACK_BIN/etcd"); }
goinstall() { # goinstall NAME PKG@VERSION [EXTRA_LDFLAGS]
  local tmp="$STACK_BIN/.gobin-$1"; mkdir -p "$tmp"
  (cd "$STACK_BIN" && GOFLAGS="" GOBIN="$tmp" go install -p "$BUILD_P" -trimpath -ldflags "-s -w ${3:-}" "$2") && mv "$tmp/$1" "$STACK_BIN/$1" && rmdir "$tmp"
}
# Prometheus-style version stamping, so `--version` and /api/v2/status report the real version.
PROM_VERSION_LDFLAGS="-X github.com/prometheus/common/version.Version=${ALERTMANAGER_VERSION#v}"
PROM_VERSION_LDFLAGS+=" -X github.com/prometheus/common/version.Revision=${ALERTMANAGER_VERSION}"
PROM_VERSION_LDFLAGS+=" -X github.com/prometheus/common/version.Branch=HEAD"
PROM_VERSION_LDFLAGS+=" -X github.com/prometheus/common/version.BuildUser=coxswain-stack"

export STACK_DIR STACK_BIN BUILD_P K8S_LDFLAGS PROM_VERSION_LDFLAGS
export -f k8s_build etcd_build goinstall
build etcd etcd_build
build kube-apiserver k8s_build kube-apiserver
build kube-controller-manager k8s_build kube-controller-manager
build kube-scheduler k8s_build kube-scheduler
build kubectl k8s_build kubectl
build kwok goinstall kwok "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}"
build alertmanager goinstall alertmanager "github.com/prometheus/alertmanager/cmd/alertmanager@${ALERTMANAGER_VERSION}" "$PROM_VERSION_LDFLAGS"
build amtool goinstall amtool "github.com/prometheus/alertmanager/cmd/amtool@${ALERTMANAGER_VERSION}" "$PROM_VERSION_LDFLAGS"

# kwok 0.8 exits with "no stages found" without --config: concatenate the Stage
# documents the module ships (node fast + heartbeat-with-lease, pod fast).
if [[ ! -s $STACK_CACHE/kwok-stages.yaml ]]; then
  kdir=$(cd "$STACK_BIN" && GOFLAGS="" go mod download -json "sigs.k8s.io/kwok@${KWOK_VERSION}" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [[ -d $kdir ]] || die "kwok module dir not found"
  out=$STACK_CACHE/kwok-stages.yaml.tmp; : > "$out"
  for d in node/fast node/heartbeat-with-lease pod/fast; do
    for f in "$kdir/kustomize/stage/$d"/*.yaml; do
      grep -q '^kind: Stage' "$f" || continue
      printf -- '---\n' >> "$out"; cat "$f" >> "$out"
    done
  done
  mv "$out" "$STACK_CACHE/kwok-stages.yaml"
  log "kwok stages: $(grep -c '^kind: Stage' "$STACK_CACHE/kwok-stages.yaml") Stage documents"
fi

stack_binaries_present || die "some binaries are still missing in $STACK_BIN"

# The etcd template (CRDs pre-installed) that makes every later up.sh faster.
if [[ ${STACK_NO_ETCD_TEMPLATE:-0} != 1 && ! -d $(etcd_template_dir) ]]; then
  s=$SECONDS
  tdir=$(mktemp -d "${TMPDIR:-/tmp}/coxswain-stack-template.XXXXXX")
  STACK_STATE_DIR=$tdir bash "$STACK_DIR/up.sh" --build-etcd-template || log "etcd template build failed (up.sh will install CRDs directly)"
  rm -rf "$tdir" "$tdir.lock"
  log "etcd template built in $((SECONDS - s))s"
fi
log "install complete in $((SECONDS - t0))s; binaries in $STACK_BIN"
[[ -s $TIMES ]] && sed 's/^/  /' "$TIMES" >&2
exit 0
