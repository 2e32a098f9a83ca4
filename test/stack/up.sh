#!/usr/bin/env bash
# Starts the coxswain test stack: two Kubernetes control planes (infra, apps) with kwok
# nodes, the platform CRDs and seed, Alertmanager, Prometheus and the test exporter.
# Usage: up.sh [--pods N] [--no-seed] [--restart]
#   --pods N    add a Deployment `load/scale` with N replicas on the apps cluster (or STACK_PODS)
#   --restart   stop a running stack in the same state dir first (default: reuse a healthy one)
# Env: STACK_STATE_DIR (default test/stack/.state), BOT_PORT (default: a free port), STACK_PODS.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PODS=${STACK_PODS:-0}; SEED=1; RESTART=0; TEMPLATE_BUILD=0
while (($#)); do
  case $1 in
    --pods) PODS=$2; shift 2 ;;
    --pods=*) PODS=${1#*=}; shift ;;
    --no-seed) SEED=0; shift ;;
    --restart) RESTART=1; shift ;;
    # internal: start etcd + kube-apiserver only, install the CRDs, stop, and keep the etcd data
    # dirs as the template later runs copy (see "etcd template" in README.md)
    --build-etcd-template) TEMPLATE_BUILD=1; SEED=0; shift ;;
    --) shift ;;
    *) die "unknown argument $1 (usage: up.sh [--pods N] [--no-seed] [--restart])" ;;
  esac
done
[[ $PODS =~ ^[0-9]+$ ]] || die "--pods needs a number, got '$PODS'"

T0=$(date +%s.%N)
# One up/down at a time per state dir.
mkdir -p "$(dirname "$STATE_DIR")"
exec 8>"$STATE_DIR.lock"
if ! flock -n 8; then log "another up.sh/down.sh is working on $STATE_DIR; waiting"; flock 8; fi
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1fs", b-a}'; }

if [[ -d $STATE_DIR/pids ]]; then
  if ((RESTART == 0)) && bash "$STACK_DIR/status.sh" --check >/dev/null 2>&1; then
    log "a healthy stack is already up in $STATE_DIR (env: $STATE_DIR/env); use --restart to replace it"
    exit 0
  fi
  log "stopping the previous stack in $STATE_DIR"
  bash "$STACK_DIR/down.sh"
fi

stack_binaries_present || bash "$STACK_DIR/install.sh"
compgen -G "$CRD_DIR/*/*.yaml" >/dev/null || die "platform CRDs not found in $CRD_DIR/<project>/ (see $CRD_DIR/README.md)"
NODE=$(stack_node)
K=$STACK_BIN/kubectl

# etcd template: both clusters' etcd data dirs with every CRD already installed and established,
# cached per Kubernetes version and CRD content. Copying it saves installing 41 CRDs (the slowest
# step of a start: each CRD makes the API server rebuild its OpenAPI and discovery documents).
ETCD_TEMPLATE=$(etcd_template_dir)
USE_TEMPLATE=0
if ((TEMPLATE_BUILD == 0)) && [[ ${STACK_NO_ETCD_TEMPLATE:-0} != 1 ]]; then
  if [[ ! -d $ETCD_TEMPLATE ]]; then
    log "building the etcd template (once per Kubernetes version and CRD set) into $ETCD_TEMPLATE"
    tdir=$(mktemp -d "${TMPDIR:-/tmp}/coxswain-stack-template.XXXXXX")
    STACK_STATE_DIR=$tdir bash "$STACK_DIR/up.sh" --build-etcd-template || log "etcd template build failed; installing CRDs directly"
    rm -rf "$tdir" "$tdir.lock"
  fi
  [[ -d $ETCD_TEMPLATE ]] && USE_TEMPLATE=1
fi

rm -rf "$STATE_DIR"
mkdir -p "$STATE_DIR"/{pids,logs}
STATE_DIR=$(cd "$STATE_DIR" && pwd)
# On failure stop what was started (logs stay in $STATE_DIR/logs), unless STACK_KEEP_ON_FAILURE=1.
on_exit() {
  local rc=$?
  if ((rc != 0)) && [[ ${STACK_KEEP_ON_FAILURE:-0} != 1 ]]; then
    log "up.sh failed (exit $rc); stopping the partial stack (STACK_KEEP_ON_FAILURE=1 keeps it)"
    bash "$STACK_DIR/down.sh" || true
  fi
}
trap on_exit EXIT

# ---- ports ---------------------------------------------------------------------
mapfile -t P < <("$NODE" "$STACK_DIR/ports.mjs" 11)
ETCD_PORT_INFRA=${P[0]} ETCD_PEER_PORT_INFRA=${P[1]} APISERVER_PORT_INFRA=${P[2]}
ETCD_PORT_APPS=${P[3]} ETCD_PEER_PORT_APPS=${P[4]} APISERVER_PORT_APPS=${P[5]}
ALERTMANAGER_PORT=${P[6]} PROMETHEUS_PORT=${P[7]} EXPORTER_PORT=${P[8]}
KWOK_PORT_INFRA=${P[9]} KWOK_PORT_APPS=${P[10]}
if [[ -z ${BOT_PORT:-} ]]; then BOT_PORT=$("$NODE" "$STACK_DIR/ports.mjs" 1); fi

# start NAME CMD... : start a long-running process in its own session, log and pidfile in
# the state dir. Every command line mentions $STATE_DIR, which down.sh checks before a kill.
start() {
  local name=$1; shift
  # 8>&-: the stack's processes must not inherit (and so hold) the state-dir lock.
  setsid "$@" >"$STATE_DIR/logs/$name.log" 2>&1 </dev/null 8>&- &
  echo $! >"$STATE_DIR/pids/$name.pid"
}
# wait_for WHAT TIMEOUT_S CMD... : poll CMD until it succeeds.
wait_for() {
  local what=$1 timeout=$2; shift 2
  local end=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || { log "timed out waiting for $what"; return 1; }
    sleep 0.2
  done
}
fail_logs() { log "see logs in $STATE_DIR/logs/"; for f in "$@"; do echo "--- $f" >&2; tail -20 "$STATE_DIR/logs/$f.log" >&2 || true; done; }

# ---- PKI (per cluster; ECDSA P-256 keys: RSA key generation is slow on a busy machine) ----
pki() {
  local c=$1 d=$STATE_DIR/$1/pki
  mkdir -p "$d"
  (
    cd "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt -days 30 -subj "/CN=coxswain-stack-$c-ca" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout serving.key -out serving.csr -subj "/CN=kube-apiserver" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:%s\nextendedKeyUsage=serverAuth\n' "$2" > serving.ext
    openssl x509 -req -in serving.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out serving.crt -days 30 -extfile serving.ext 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=coxswain-stack-admin" 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' > admin.ext
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 30 -extfile admin.ext 2>/dev/null
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out sa.key 2>/dev/null
    openssl pkey -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f ./*.csr ./*.ext
  )
}
kubeconfig() { # kubeconfig CLUSTER PORT
  local c=$1 d=$STATE_DIR/$1/pki
  cat >"$STATE_DIR/$c/admin.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: $c
  cluster:
    server: https://127.0.0.1:$2
    certificate-authority-data: $(base64 -w0 "$d/ca.crt")
users:
- name: $c-admin
  user:
    client-certificate-data: $(base64 -w0 "$d/admin.crt")
    client-key-data: $(base64 -w0 "$d/admin.key")
contexts:
- name: $c
  context: {cluster: $c, user: $c-admin}
current-context: $c
KC
}
pki infra 10.245.0.1 & pki apps 10.247.0.1 & wait
kubeconfig infra "$APISERVER_PORT_INFRA"
kubeconfig apps "$APISERVER_PORT_APPS"
KUBECONFIG_INFRA=$STATE_DIR/infra/admin.kubeconfig
KUBECONFIG_APPS=$STATE_DIR/apps/admin.kubeconfig

# ---- control planes --------------------------------------------------------------
# cluster NAME ETCD_PORT ETCD_PEER_PORT APISERVER_PORT SERVICE_CIDR POD_CIDR NODE_IP
start_control_plane() {
  local c=$1 ep=$2 epp=$3 ap=$4 svc=$5 d=$STATE_DIR/$1
  mkdir -p "$d/etcd"
  if ((USE_TEMPLATE)); then cp -a "$ETCD_TEMPLATE/$c/." "$d/etcd/"; chmod 700 "$d/etcd"; fi
  cat >"$d/audit-policy.yaml" <<'AP'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
AP
  start "etcd-$c" "$STACK_BIN/etcd" --name "$c" --data-dir "$d/etcd" \
    --listen-client-urls "http://127.0.0.1:$ep" --advertise-client-urls "http://127.0.0.1:$ep" \
    --listen-peer-urls "http://127.0.0.1:$epp" --initial-advertise-peer-urls "http://127.0.0.1:$epp" \
    --initial-cluster "$c=http://127.0.0.1:$epp" --unsafe-no-fsync --log-level warn
  start "kube-apiserver-$c" "$STACK_BIN/kube-apiserver" \
    --advertise-address=127.0.0.1 --bind-address=127.0.0.1 --secure-port="$ap" \
    --endpoint-reconciler-type=none \
    --etcd-servers="http://127.0.0.1:$ep" \
    --tls-cert-file="$d/pki/serving.crt" --tls-private-key-file="$d/pki/serving.key" \
    --client-ca-file="$d/pki/ca.crt" \
    --authorization-mode=Node,RBAC \
    --service-cluster-ip-range="$svc" --allow-privileged=true \
    --service-account-issuer="https://127.0.0.1:$ap" \
    --service-account-key-file="$d/pki/sa.pub" --service-account-signing-key-file="$d/pki/sa.key" \
    --audit-log-path="$d/audit.log" --audit-policy-file="$d/audit-policy.yaml" \
    --audit-log-maxsize=200 --audit-log-maxbackup=1 \
    --kubelet-preferred-address-types=InternalDNS,InternalIP,Hostname \
    --max-requests-inflight=800 --max-mutating-requests-inflight=400
}
# kwok's kubelet-like server: the API server's pods/log (and node proxy) requests reach it at the
# nodes' InternalDNS address (localhost, in the seed) and daemon endpoint port (--node-port, which
# kwok's node stages write into status.daemonEndpoints). It serves the texts of test/stack/kwok/
# through a ClusterLogs for every pod it runs: container `side` reads side.log, every other
# container main.log, and --previous reads previous.log. It speaks TLS with its own self-signed
# certificate, which the API server accepts (no --kubelet-certificate-authority).
kwok_logs_config() { # CLUSTER
  local f=$STATE_DIR/$1/kwok-logs.yaml
  cat >"$f" <<KL
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: coxswain-stack-logs
spec:
  selector: {}
  logs:
  - containers: [side]
    logsFile: $STACK_DIR/kwok/side.log
    previousLogsFile: $STACK_DIR/kwok/previous.log
  - logsFile: $STACK_DIR/kwok/main.log
    previousLogsFile: $STACK_DIR/kwok/previous.log
KL
  echo "$f"
}
start_controllers() { # NAME POD_CIDR NODE_IP KWOK_PORT
  local c=$1 d=$STATE_DIR/$1 kc=$STATE_DIR/$1/admin.kubeconfig
  start "kube-controller-manager-$c" "$STACK_BIN/kube-controller-manager" \
    --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --service-account-private-key-file="$d/pki/sa.key" --root-ca-file="$d/pki/ca.crt" \
    --use-service-account-credentials=true \
    --cluster-signing-cert-file="$d/pki/ca.crt" --cluster-signing-key-file="$d/pki/ca.key" \
    --controllers='*' --leader-elect=false --secure-port=0 --cluster-name="$c" \
    --kube-api-qps=200 --kube-api-burst=400 --concurrent-replicaset-syncs=10
  start "kube-scheduler-$c" "$STACK_BIN/kube-scheduler" \
    --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --leader-elect=false --secure-port=0 --kube-api-qps=200 --kube-api-burst=400
  start "kwok-$c" "$STACK_BIN/kwok" --kubeconfig="$kc" --config="$STACK_CACHE/kwok-stages.yaml" \
    --config="$(kwok_logs_config "$c")" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --cidr="$2" --node-ip="$3" --node-lease-duration-seconds=40 \
    --server-address="127.0.0.1:$4" --node-port="$4"
}

start_control_plane infra "$ETCD_PORT_INFRA" "$ETCD_PEER_PORT_INFRA" "$APISERVER_PORT_INFRA" 10.245.0.0/16
start_control_plane apps "$ETCD_PORT_APPS" "$ETCD_PEER_PORT_APPS" "$APISERVER_PORT_APPS" 10.247.0.0/16
log "etcd and kube-apiserver started ($(elapsed))"

# ---- env file (written early so a half-started stack can still be inspected/stopped) ----
ALERT_WEBHOOK_TOKEN=$(openssl rand -hex 24)
write_env() {
  local f=$STATE_DIR/env.tmp
  {
    echo "# coxswain test stack, written by test/stack/up.sh at $(date -u +%FT%TZ)"
    echo "STACK_STATE_DIR=$STATE_DIR"
    echo "STACK_BIN=$STACK_BIN"
    echo "KUBECTL=$K"
    echo "AMTOOL=$STACK_BIN/amtool"
    echo "KUBECONFIG_INFRA=$KUBECONFIG_INFRA"
    echo "KUBECONFIG_APPS=$KUBECONFIG_APPS"
    echo "KUBE_APISERVER_URL_INFRA=https://127.0.0.1:$APISERVER_PORT_INFRA"
    echo "KUBE_APISERVER_URL_APPS=https://127.0.0.1:$APISERVER_PORT_APPS"
    echo "KUBE_CA_INFRA=$STATE_DIR/infra/pki/ca.crt"
    echo "KUBE_CA_APPS=$STATE_DIR/apps/pki/ca.crt"
    echo "AUDIT_LOG_INFRA=$STATE_DIR/infra/audit.log"
    echo "AUDIT_LOG_APPS=$STATE_DIR/apps/audit.log"
    echo "APISERVER_PORT_INFRA=$APISERVER_PORT_INFRA"
    echo "APISERVER_PORT_APPS=$APISERVER_PORT_APPS"
    echo "ETCD_PORT_INFRA=$ETCD_PORT_INFRA"
    echo "ETCD_PEER_PORT_INFRA=$ETCD_PEER_PORT_INFRA"
    echo "ETCD_PORT_APPS=$ETCD_PORT_APPS"
    echo "ETCD_PEER_PORT_APPS=$ETCD_PEER_PORT_APPS"
    echo "ALERTMANAGER_PORT=$ALERTMANAGER_PORT"
    echo "ALERTMANAGER_URL=http://127.0.0.1:$ALERTMANAGER_PORT"
    echo "PROMETHEUS_PORT=$PROMETHEUS_PORT"
    echo "PROMETHEUS_URL=http://127.0.0.1:$PROMETHEUS_PORT"
    echo "EXPORTER_PORT=$EXPORTER_PORT"
    echo "KWOK_PORT_INFRA=$KWOK_PORT_INFRA"
    echo "KWOK_PORT_APPS=$KWOK_PORT_APPS"
    echo "EXPORTER_URL=http://127.0.0.1:$EXPORTER_PORT"
    echo "EXPORTER_STATE_FILE=$STATE_DIR/exporter/state.json"
    echo "BOT_PORT=$BOT_PORT"
    echo "ALERT_WEBHOOK_URL=http://127.0.0.1:$BOT_PORT/hooks/alertmanager"
    echo "ALERT_WEBHOOK_TOKEN=$ALERT_WEBHOOK_TOKEN"
    echo "STACK_PODS=$PODS"
  } >"$f"
  if grep -vE '^(#.*|[A-Z0-9_]+=[^[:space:]]*)$' "$f" >&2; then die "env values must not contain whitespace"; fi
  mv "$f" "$STATE_DIR/env"
}
write_env
apiserver_ready() { "$K" --kubeconfig "$1" get --raw /readyz; }

# ---- monitoring: exporter, Alertmanager, Prometheus -----------------------------------
if ((TEMPLATE_BUILD == 0)); then
mkdir -p "$STATE_DIR"/{exporter,alertmanager/data,prometheus/data}
start exporter "$NODE" "$STACK_DIR/exporter.mjs" --port "$EXPORTER_PORT" --state "$STATE_DIR/exporter/state.json"
printf '%s' "$ALERT_WEBHOOK_TOKEN" >"$STATE_DIR/alertmanager/webhook-token"
cat >"$STATE_DIR/alertmanager/alertmanager.yml" <<AM
# Generated by test/stack/up.sh. The webhook goes to the bot under test.
route:
  receiver: coxswain
  group_by: [alertname, cluster, namespace]
  group_wait: 1s
  group_interval: 5s
  repeat_interval: 1h
receivers:
- name: coxswain
  webhook_configs:
  - url: http://127.0.0.1:$BOT_PORT/hooks/alertmanager
    send_resolved: true
    max_alerts: 0
    http_config:
      authorization:
        type: Bearer
        credentials_file: $STATE_DIR/alertmanager/webhook-token
AM
start alertmanager "$STACK_BIN/alertmanager" \
  --config.file="$STATE_DIR/alertmanager/alertmanager.yml" --storage.path="$STATE_DIR/alertmanager/data" \
  --web.listen-address="127.0.0.1:$ALERTMANAGER_PORT" --web.external-url="http://127.0.0.1:$ALERTMANAGER_PORT" \
  --cluster.listen-address= --log.level=info
cat >"$STATE_DIR/prometheus/rules.yml" <<'RULES'
groups:
- name: coxswain-stack
  interval: 1s
  rules:
  - alert: CoxswainStackAlwaysFiring
    expr: vector(1)
    labels:
      cluster: infra
      severity: warning
    annotations:
      summary: The test stack's always-firing alert
      description: Fires as soon as Prometheus evaluates its rules; proves the Prometheus → Alertmanager path.
  - alert: CoxswainTestFlag
    expr: coxswain_test_flag == 1
    labels:
      cluster: apps
      namespace: databases
      severity: critical
    annotations:
      summary: The test flag is set on the exporter
      description: coxswain_test_flag is {{ $value }} on {{ $labels.instance }}; flip it back with POST /flag/0.
      runbook_url: https://runbooks.example.invalid/coxswain/CoxswainTestFlag
RULES
cat >"$STATE_DIR/prometheus/prometheus.yml" <<PROM
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
  external_labels:
    stack: coxswain-test
alerting:
  alertmanagers:
  - static_configs:
    - targets: ['127.0.0.1:$ALERTMANAGER_PORT']
rule_files:
- $STATE_DIR/prometheus/rules.yml
scrape_configs:
- job_name: coxswain-exporter
  static_configs:
  - targets: ['127.0.0.1:$EXPORTER_PORT']
PROM
start prometheus /usr/bin/prometheus \
  --config.file="$STATE_DIR/prometheus/prometheus.yml" --storage.tsdb.path="$STATE_DIR/prometheus/data" \
  --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --web.enable-lifecycle \
  --storage.tsdb.retention.time=1d --rules.alert.resend-delay=1s
fi


# ---- per cluster: API server ready -> controllers and kwok -> CRDs -> seed -> nodes Ready ----
# Both clusters run this pipeline concurrently; each step's output goes to logs/<step>-<cluster>.log.
# Placeholders the seed may use besides ${NOW...}.
if ((SEED)); then
  mkdir -p "$STATE_DIR/seed-pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 60 \
    -keyout "$STATE_DIR/seed-pki/issuer.key" -out "$STATE_DIR/seed-pki/issuer.crt" \
    -subj "/CN=identity.linkerd.cluster.local" 2>/dev/null
  export LINKERD_ISSUER_CRT_B64; LINKERD_ISSUER_CRT_B64=$(base64 -w0 "$STATE_DIR/seed-pki/issuer.crt")
  export LINKERD_ISSUER_KEY_B64; LINKERD_ISSUER_KEY_B64=$(base64 -w0 "$STATE_DIR/seed-pki/issuer.key")
  export STACK_PODS=$PODS
  # Name stamps of the seeded Velero/CNPG backups (schedule-YYYYMMDDhhmmss, as Velero names them).
  export BACKUP_STAMP_0D; BACKUP_STAMP_0D=$(date -u -d '-5 hours' +%Y%m%d%H%M%S)
  export BACKUP_STAMP_1D; BACKUP_STAMP_1D=$(date -u -d '-29 hours' +%Y%m%d%H%M%S)
  export BACKUP_STAMP_WEEK; BACKUP_STAMP_WEEK=$(date -u -d '-2 days' +%Y%m%d%H%M%S)
  # Node pod capacity: enough for the scale Deployment spread over three nodes.
  export NODE_MAX_PODS=$((PODS / 3 + 250))
  "$NODE" "$STACK_DIR/render.mjs" "$STACK_DIR/seed" "$STATE_DIR/seed" 2>>"$STATE_DIR/logs/seed.log" ||
    { fail_logs seed; exit 1; }
fi

# apply_all LOG ARGS... -- FILE_OR_DIR... : one `kubectl apply` per file/dir, all concurrently
# (kubectl applies a list one object at a time; the API server is faster with a few in flight).
apply_all() {
  local logf=$1; shift
  local args=() pids=() f rc=0
  while [[ $1 != -- ]]; do args+=("$1"); shift; done
  shift
  for f in "$@"; do "${args[@]}" -f "$f" >>"$logf" 2>&1 & pids+=($!); done
  for f in "${pids[@]}"; do wait "$f" || rc=1; done
  return $rc
}

bring_up() { # CLUSTER POD_CIDR NODE_IP KWOK_PORT
  local c=$1 kc=$STATE_DIR/$1/admin.kubeconfig s=$STATE_DIR/seed
  local a=("$K" --kubeconfig "$kc" apply --server-side --field-manager=coxswain-stack-seed --force-conflicts)
  wait_for "kube-apiserver $c" 90 apiserver_ready "$kc" || { fail_logs "etcd-$c" "kube-apiserver-$c"; return 1; }
  log "$c: API server ready ($(elapsed))"
  ((TEMPLATE_BUILD)) || start_controllers "$c" "$2" "$3" "$4"
  local crd_dirs=("$CRD_DIR"/*/ "$CRD_DIR"/*.yaml)
  crds_established() { # (retried: a CRD created a moment ago has no status.conditions yet, which kubectl wait rejects)
    wait_for "CRDs established on $c" 60 "$K" --kubeconfig "$kc" wait --for condition=established --timeout=20s crd --all ||
      { fail_logs "crds-$c"; return 1; }
    log "$c: $("$K" --kubeconfig "$kc" get crd --no-headers | wc -l) CRDs established ($(elapsed))"
  }
  if ((USE_TEMPLATE)); then
    # The CRDs are in etcd already, established; /readyz includes crd-informer-synced, so they
    # are served. (Should the seed still miss a kind, it is retried after an explicit wait.)
    echo "CRDs from the etcd template $ETCD_TEMPLATE" >"$STATE_DIR/logs/crds-$c.log"
  else
    apply_all "$STATE_DIR/logs/crds-$c.log" "$K" --kubeconfig "$kc" apply --server-side --field-manager=coxswain-stack -- "${crd_dirs[@]}" ||
      { fail_logs "crds-$c"; return 1; }
    crds_established || return 1
  fi
  ((SEED)) || return 0
  # Namespaces and nodes first (files 0*), then the rest concurrently, then the status documents.
  local first=() rest=() st=() f
  for f in "$s/common"/*.yaml "$s/$c"/*.yaml; do
    if [[ $(basename "$f") == 0* ]]; then first+=("$f"); else rest+=("$f"); fi
  done
  for f in "$s/common/status"/*.yaml "$s/$c/status"/*.yaml; do [[ -f $f ]] && st+=("$f"); done
  seed_once() {
    "${a[@]}" "${first[@]/#/-f}" >>"$STATE_DIR/logs/seed-$c.log" 2>&1 &&
      apply_all "$STATE_DIR/logs/seed-$c.log" "${a[@]}" -- "${rest[@]}" &&
      apply_all "$STATE_DIR/logs/seed-$c.log" "${a[@]}" --subresource=status -- "${st[@]}"
  }
  if ! seed_once; then
    ((USE_TEMPLATE)) || { fail_logs "seed-$c"; return 1; }
    log "$c: seed failed once; waiting for the CRDs and retrying"
    { crds_established && seed_once; } || { fail_logs "seed-$c"; return 1; }
  fi
  log "$c: seed applied ($(elapsed))"
  "$K" --kubeconfig "$kc" wait --for=condition=Ready node --all --timeout=120s >/dev/null ||
    { fail_logs "kwok-$c"; return 1; }
  log "$c: nodes Ready ($(elapsed))"
}
bring_up infra 10.244.0.0/16 10.25.11.11 "$KWOK_PORT_INFRA" & p1=$!
bring_up apps 10.246.0.0/16 10.25.11.14 "$KWOK_PORT_APPS" & p2=$!
rc=0
wait $p1 || rc=1
wait $p2 || rc=1
((rc == 0)) || exit 1

if ((TEMPLATE_BUILD)); then
  bash "$STACK_DIR/down.sh"
  mkdir -p "$STATE_DIR/template"
  for c in infra apps; do mv "$STATE_DIR/$c/etcd" "$STATE_DIR/template/$c"; done
  # Publish atomically; a concurrent builder that finished first wins.
  mv -T "$STATE_DIR/template" "$ETCD_TEMPLATE" 2>/dev/null || log "an etcd template appeared meanwhile; keeping it"
  log "etcd template ready in $ETCD_TEMPLATE ($(elapsed))"
  exit 0
fi

# ---- wait until everything is ready -----------------------------------------------------
if ((SEED)); then
  workloads_ready() { "$NODE" "$STACK_DIR/ready.mjs" "$STATE_DIR/env"; }
  wait_for "seeded workloads Ready" $((120 + PODS / 25)) workloads_ready || {
    "$NODE" "$STACK_DIR/ready.mjs" "$STATE_DIR/env" --verbose >&2 || true
    fail_logs kube-controller-manager-apps kube-scheduler-apps kwok-apps
    exit 1
  }
  log "workloads Ready ($(elapsed))"
  if ((PODS > 0)); then
    # The scale Deployment goes last, so its pods cannot starve the seed's.
    "$K" --kubeconfig "$KUBECONFIG_APPS" apply --server-side --field-manager=coxswain-stack-seed --force-conflicts \
      -f "$STATE_DIR/seed/scale" >>"$STATE_DIR/logs/seed-apps.log" 2>&1 || { fail_logs seed-apps; exit 1; }
    scale_ready() {
      local r
      r=$("$K" --kubeconfig "$KUBECONFIG_APPS" -n load get deploy scale -o jsonpath='{.status.readyReplicas}' 2>/dev/null)
      [[ ${r:-0} -ge $PODS ]]
    }
    wait_for "load/scale: $PODS pods Ready" $((180 + PODS / 10)) scale_ready || {
      "$K" --kubeconfig "$KUBECONFIG_APPS" -n load get deploy scale >&2 || true
      fail_logs kube-controller-manager-apps kube-scheduler-apps kwok-apps
      exit 1
    }
    log "load/scale: $PODS pods Ready on apps ($(elapsed))"
  fi
fi
http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }
wait_for exporter 30 http_ok "http://127.0.0.1:$EXPORTER_PORT/-/healthy" || { fail_logs exporter; exit 1; }
wait_for alertmanager 30 http_ok "http://127.0.0.1:$ALERTMANAGER_PORT/-/ready" || { fail_logs alertmanager; exit 1; }
wait_for prometheus 30 http_ok "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" || { fail_logs prometheus; exit 1; }
log "stack up in $(elapsed); env: $STATE_DIR/env"
bash "$STACK_DIR/status.sh"
