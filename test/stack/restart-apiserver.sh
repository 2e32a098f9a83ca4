#!/usr/bin/env bash
# Stops or starts one cluster's kube-apiserver of the running test stack, for fault tests.
# Usage: restart-apiserver.sh CLUSTER stop|kill|start|restart
#   stop     SIGTERM (SIGKILL after 15 s: with watches open it often drains that long) and keep
#            its exact command line in $STATE_DIR/kube-apiserver-CLUSTER.cmdline
#   kill     the same with SIGKILL at once: a crash
#   start    start it again with that command line (same port, flags, certificates, etcd), log
#            appended to logs/kube-apiserver-CLUSTER.log, pid in pids/; waits until /readyz is ok
#   restart  stop, then start
# Env: STACK_STATE_DIR (default test/stack/.state).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
(($# == 2)) || die "usage: restart-apiserver.sh infra|apps stop|kill|start|restart"
CLUSTER=$1 ACTION=$2
[[ $CLUSTER == infra || $CLUSTER == apps ]] || die "unknown cluster '$CLUSTER' (infra or apps)"
[[ -d $STATE_DIR/pids ]] || die "no stack in $STATE_DIR"
STATE_DIR=$(cd "$STATE_DIR" && pwd)
NAME=kube-apiserver-$CLUSTER
PIDFILE=$STATE_DIR/pids/$NAME.pid
SAVED=$STATE_DIR/$NAME.cmdline
KC=$STATE_DIR/$CLUSTER/admin.kubeconfig

# Same guard as down.sh: a pid is ours only if its command line mentions the state dir.
ours() { [[ -r /proc/$1/cmdline ]] && tr '\0' ' ' </proc/"$1"/cmdline 2>/dev/null | grep -qF "$STATE_DIR"; }

stop() { # SIGNAL
  local pid
  pid=$(<"$PIDFILE") || die "$NAME has no pid file"
  [[ $pid =~ ^[0-9]+$ ]] && ours "$pid" || die "$NAME ($pid) is not running"
  cp "/proc/$pid/cmdline" "$SAVED"
  kill "-$1" "$pid"
  local deadline=$((SECONDS + 15))
  while ours "$pid" && [[ $(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null) != Z ]]; do
    if ((SECONDS >= deadline)); then log "$NAME ($pid) ignored SIGTERM for 15s; SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; break; fi
    sleep 0.1
  done
  log "$NAME stopped (SIG$1)"
}

start() {
  [[ -s $SAVED ]] || die "no saved command line for $NAME (stop it with this script first)"
  if [[ -f $PIDFILE ]] && pid=$(<"$PIDFILE") && [[ $pid =~ ^[0-9]+$ ]] && ours "$pid"; then
    die "$NAME is still running ($pid)"
  fi
  local args=()
  mapfile -d '' -t args <"$SAVED"
  # 8>&-: like up.sh, the server must not inherit a state-dir lock.
  setsid "${args[@]}" >>"$STATE_DIR/logs/$NAME.log" 2>&1 </dev/null 8>&- &
  echo $! >"$PIDFILE"
  local deadline=$((SECONDS + 90))
  until "$STACK_BIN/kubectl" --kubeconfig "$KC" get --raw /readyz >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$NAME not ready 90 s after its start; see $STATE_DIR/logs/$NAME.log"
    sleep 0.2
  done
  log "$NAME started again and ready"
}

case $ACTION in
  stop) stop TERM ;;
  kill) stop KILL ;;
  start) start ;;
  restart) stop TERM; start ;;
  *) die "unknown action '$ACTION' (stop, kill, start or restart)" ;;
esac
