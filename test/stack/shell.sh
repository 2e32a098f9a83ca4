#!/usr/bin/env bash
# `npm run shell:stack`: the shell adapter wired to the running test stack: both clusters (read
# with the stack's admin kubeconfigs, a dev convenience; writes still impersonate
# coxswain-operator), its Alertmanager, and the webhook on BOT_PORT so the stack's alerts print
# here. Starts the stack first if none is up. Extra arguments go to coxswain (e.g. --role viewer).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
state="${STACK_STATE_DIR:-$here/.state}"

bash "$here/status.sh" --check >/dev/null 2>&1 || bash "$here/up.sh"
# shellcheck disable=SC1091
source "$state/env"

config="$state/shell.yaml"
cat >"$config" <<YAML
# Written by test/stack/shell.sh for the stack started at $(date -u +%FT%TZ).
command: /ops
store:
  sqlite:
    path: $state/shell.db
clusters:
  - name: infra
    kubeconfig: $KUBECONFIG_INFRA
  - name: apps
    kubeconfig: $KUBECONFIG_APPS
alertmanagers:
  - name: stack
    url: $ALERTMANAGER_URL
alerts:
  webhook:
    token: $ALERT_WEBHOOK_TOKEN
YAML

echo "coxswain shell on the test stack: webhook on :$BOT_PORT, Alertmanager $ALERTMANAGER_URL" >&2
exec node "$repo/bin/coxswain.js" --config "$config" --shell --role "${ROLE:-admin}" --port "$BOT_PORT" "$@"
