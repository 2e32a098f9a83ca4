#!/usr/bin/env bash
# Installs helm (the deploy tests render the chart with it) from the Go module proxy into
# ~/.cache/coxswain-stack/helm-<version>/bin/helm and prints that path. Idempotent: a second
# run only checks. No download scripts: `go install helm.sh/helm/v3/cmd/helm@<version>`.
# Called by test/integration/deploy (and by .ci/run or test/stack/install.sh if they want it early).
set -euo pipefail
HELM_VERSION=${HELM_VERSION:-v3.22.0}
root=${STACK_CACHE_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/coxswain-stack}
dir=$root/helm-$HELM_VERSION/bin
if [[ ! -x $dir/helm ]]; then
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/.gobin.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  printf '[helm] go install helm.sh/helm/v3/cmd/helm@%s\n' "$HELM_VERSION" >&2
  # Run outside any module so the repo's go.mod files (if any) play no part.
  (cd "$tmp" && GOFLAGS="" GOTOOLCHAIN=${GOTOOLCHAIN:-local} GOMAXPROCS=${GOMAXPROCS:-2} GOBIN="$tmp" \
    go install -p "${STACK_BUILD_P:-2}" -trimpath \
      -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
      "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
  mv "$tmp/helm" "$dir/helm"
fi
echo "$dir/helm"
