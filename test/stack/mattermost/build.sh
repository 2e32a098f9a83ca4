#!/usr/bin/env bash
# Builds the real Mattermost server (11.4.0) from the Go module proxy, once, into
# ~/.cache/coxswain-stack/mattermost-11.4.0/ (bin/mattermost plus i18n/, templates/,
# fonts/). A second run with the binary present does nothing.
# Pins and traps: docs/chat-servers.md (from the repository root).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MM_VERSION=11.4.0
CACHE=${MM_CACHE:-${STACK_CACHE_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/coxswain-stack}/mattermost-$MM_VERSION}
log() { printf '[mattermost-build %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

if [[ -x $CACHE/bin/mattermost && -d $CACHE/i18n && -d $CACHE/templates ]]; then
  log "cached: $CACHE"
  exit 0
fi
command -v go >/dev/null || { log "ERROR: go is not on PATH; install Go 1.26"; exit 1; }

mkdir -p "$CACHE/bin"
exec 9>"$CACHE/.build.lock"
flock 9
if [[ -x $CACHE/bin/mattermost && -d $CACHE/i18n ]]; then log "cached: $CACHE"; exit 0; fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$HERE/build/go.mod" "$HERE/build/tools.go" "$WORK/"
[[ -f $HERE/build/go.sum ]] && cp "$HERE/build/go.sum" "$WORK/"
cd "$WORK"
export GONOSUMDB=github.com/mattermost GOFLAGS=-mod=mod GOTOOLCHAIN=local
start=$(date +%s)
log "resolving modules (errors about github.com/mattermost/enterprise are expected)"
go mod tidy -e 2>&1 | grep -v 'mattermost/enterprise' | tail -n 20 >&2 || true
log "modules resolved in $(( $(date +%s) - start ))s; compiling"
go build -trimpath -o "$CACHE/bin/mattermost.tmp" github.com/mattermost/mattermost/server/v8/cmd/mattermost
mod=$(go list -m -f '{{.Dir}}' github.com/mattermost/mattermost/server/v8)
for d in i18n templates fonts; do
  rm -rf "${CACHE:?}/$d"
  cp -r "$mod/$d" "$CACHE/$d"
  chmod -R u+w "$CACHE/$d"
done
mv "$CACHE/bin/mattermost.tmp" "$CACHE/bin/mattermost"
log "built in $(( $(date +%s) - start ))s: $("$CACHE/bin/mattermost" version 2>/dev/null | head -n 1)"
