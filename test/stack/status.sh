#!/usr/bin/env bash
# Prints each process of the test stack, whether it is alive, and whether its endpoint is
# ready. --check: print nothing, exit 0 only if every process is alive and ready.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
CHECK=0; [[ ${1:-} == --check ]] && CHECK=1
out() { ((CHECK)) || printf "$@"; }
[[ -f $STATE_DIR/env && -d $STATE_DIR/pids ]] || { out 'no stack in %s\n' "$STATE_DIR"; exit 1; }
STATE_DIR=$(cd "$STATE_DIR" && pwd)
set -a; source "$STATE_DIR/env"; set +a

ours() { [[ -r /proc/$1/cmdline ]] && tr '\0' ' ' </proc/"$1"/cmdline 2>/dev/null | grep -qF "$STATE_DIR"; }
http_ok() { curl -fsS -o /dev/null --max-time 2 "$@" 2>/dev/null; }
# kwok is "ready" when no node it runs is NotReady (heartbeats and leases are flowing).
nodes_ready() { ! "$KUBECTL" --kubeconfig "$1" get nodes --no-headers 2>/dev/null | awk '$2 !~ /^Ready/ {bad=1} END {exit !bad}' && "$KUBECTL" --kubeconfig "$1" get nodes >/dev/null 2>&1; }
ready() { # NAME -> 0 ready / 1 not / 2 no probe
  case $1 in
    etcd-infra) http_ok "http://127.0.0.1:$ETCD_PORT_INFRA/health" ;;
    etcd-apps) http_ok "http://127.0.0.1:$ETCD_PORT_APPS/health" ;;
    kube-apiserver-infra) "$KUBECTL" --kubeconfig "$KUBECONFIG_INFRA" get --raw /readyz >/dev/null 2>&1 ;;
    kube-apiserver-apps) "$KUBECTL" --kubeconfig "$KUBECONFIG_APPS" get --raw /readyz >/dev/null 2>&1 ;;
    # ... and its kubelet-like server answers (a stack from before it served logs has none: restart).
    kwok-infra) nodes_ready "$KUBECONFIG_INFRA" && http_ok -k "https://127.0.0.1:${KWOK_PORT_INFRA:-0}/healthz" ;;
    kwok-apps) nodes_ready "$KUBECONFIG_APPS" && http_ok -k "https://127.0.0.1:${KWOK_PORT_APPS:-0}/healthz" ;;
    alertmanager) http_ok "$ALERTMANAGER_URL/-/ready" ;;
    prometheus) http_ok "$PROMETHEUS_URL/-/ready" ;;
    exporter) http_ok "$EXPORTER_URL/-/healthy" ;;
    *) return 2 ;;
  esac
}
bad=0
out '%-30s %-8s %-6s %s\n' PROCESS PID ALIVE READY
expected=(etcd-infra etcd-apps kube-apiserver-infra kube-apiserver-apps kube-controller-manager-infra kube-controller-manager-apps
  kube-scheduler-infra kube-scheduler-apps kwok-infra kwok-apps exporter alertmanager prometheus)
for n in "${expected[@]}"; do
  pid=-; alive=no; rd=-
  if [[ -f $STATE_DIR/pids/$n.pid ]]; then
    pid=$(<"$STATE_DIR/pids/$n.pid")
    ours "$pid" && alive=yes
  fi
  if [[ $alive == yes ]]; then
    set +e; ready "$n"; r=$?; set -e
    case $r in 0) rd=yes ;; 1) rd=no; bad=1 ;; *) rd=n/a ;; esac
  else bad=1; fi
  out '%-30s %-8s %-6s %s\n' "$n" "$pid" "$alive" "$rd"
done
if ((!CHECK)); then
  for c in infra apps; do
    kc_var=KUBECONFIG_${c^^}
    if "$KUBECTL" --kubeconfig "${!kc_var}" get --raw /readyz >/dev/null 2>&1; then
      nodes=$("$KUBECTL" --kubeconfig "${!kc_var}" get nodes --no-headers 2>/dev/null | awk '{print $1"="$2}' | tr '\n' ' ')
      pods=$("$KUBECTL" --kubeconfig "${!kc_var}" get pods -A --no-headers 2>/dev/null | awk '{s[$4]++} END {for (k in s) printf "%s=%d ", k, s[k]}')
      printf '%s: nodes %s\n%s: pods %s\n' "$c" "$nodes" "$c" "$pods"
    fi
  done
  printf 'env: %s/env\n' "$STATE_DIR"
fi
exit $bad
