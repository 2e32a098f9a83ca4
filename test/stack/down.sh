#!/usr/bin/env bash
# Stops every process the test stack started, by the pids in $STATE_DIR/pids, and waits
# until they are gone. Leaves the state dir (logs, audit logs) for inspection; up.sh wipes it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[[ -d $STATE_DIR/pids ]] || { log "no stack state in $STATE_DIR"; exit 0; }
STATE_DIR=$(cd "$STATE_DIR" && pwd)

# A pid counts as ours only if its command line mentions our state dir (guards against a
# recycled pid after a reboot or a crash).
ours() { [[ -r /proc/$1/cmdline ]] && tr '\0' ' ' </proc/"$1"/cmdline 2>/dev/null | grep -qF "$STATE_DIR"; }

# Stop in reverse dependency order: clients first, then API servers, then etcd.
order=(prometheus alertmanager exporter kwok-infra kwok-apps kube-scheduler-infra kube-scheduler-apps
  kube-controller-manager-infra kube-controller-manager-apps kube-apiserver-infra kube-apiserver-apps etcd-infra etcd-apps)
mapfile -t extra < <(cd "$STATE_DIR/pids" && ls -- *.pid 2>/dev/null | sed 's/\.pid$//')
declare -A seen=()
names=()
for n in "${order[@]}" "${extra[@]}"; do
  [[ -f $STATE_DIR/pids/$n.pid && -z ${seen[$n]:-} ]] || continue
  seen[$n]=1; names+=("$n")
done

# Stop in three phases, each waited for: clients, then API servers (which need etcd for a clean
# shutdown: with etcd gone first, kube-apiserver can hang in its shutdown), then etcd.
stopped=0
stop_phase() {
  local n pid deadline=$((SECONDS + 15)) list=("$@")
  for n in "${list[@]}"; do
    pid=$(<"$STATE_DIR/pids/$n.pid")
    if [[ $pid =~ ^[0-9]+$ ]] && ours "$pid"; then kill -TERM "$pid" 2>/dev/null || true; stopped=$((stopped + 1)); fi
  done
  for n in "${list[@]}"; do
    pid=$(<"$STATE_DIR/pids/$n.pid")
    if [[ $pid =~ ^[0-9]+$ ]]; then
      while ours "$pid" && [[ $(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null) != Z ]]; do
        if ((SECONDS >= deadline)); then log "$n ($pid) ignored SIGTERM for 15s; SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; break; fi
        sleep 0.1
      done
    fi
    rm -f "$STATE_DIR/pids/$n.pid"
  done
}
clients=() apiservers=() etcds=()
for n in "${names[@]}"; do
  case $n in
    kube-apiserver-*) apiservers+=("$n") ;;
    etcd-*) etcds+=("$n") ;;
    *) clients+=("$n") ;;
  esac
done
((${#clients[@]} == 0)) || stop_phase "${clients[@]}"
((${#apiservers[@]} == 0)) || stop_phase "${apiservers[@]}"
((${#etcds[@]} == 0)) || stop_phase "${etcds[@]}"
rmdir "$STATE_DIR/pids" 2>/dev/null || true
log "stopped $stopped processes of the stack in $STATE_DIR"
