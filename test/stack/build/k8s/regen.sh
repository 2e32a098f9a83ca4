#!/usr/bin/env bash
# Regenerates go.mod/go.sum of the Kubernetes wrapper module for K8S_VERSION.
# k8s.io/kubernetes replaces its staging modules with ./staging/src/...; a consumer
# must replace each of them with the published v0.<minor>.<patch> tag instead.
set -euo pipefail
cd "$(dirname "$0")"
K8S_VERSION=${K8S_VERSION:-v1.37.2}
STAGING_VERSION=v0.${K8S_VERSION#v1.}
dir=$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
goline=$(grep -m1 '^go ' "$dir/go.mod")
{
  echo "module coxswain.dev/stack/k8s"
  echo
  echo "$goline"
  echo
  echo "require k8s.io/kubernetes ${K8S_VERSION}"
  echo
  echo "replace ("
  grep -E '=> \./staging/src/' "$dir/go.mod" | awk -v v="$STAGING_VERSION" '{print "\t" $1 " => " $1 " " v}'
  echo ")"
} > go.mod
rm -f go.sum
GOFLAGS=-mod=mod go mod tidy -e
