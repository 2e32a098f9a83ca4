#!/usr/bin/env bash
# Mints the kubeconfig coxswain (on the apps cluster) uses to reach the infra cluster: a token
# for the read-only ServiceAccount from the TokenRequest API (`kubectl create token`), the infra
# API server's address and CA from your current kubeconfig. The bot writes on infra only by
# impersonating coxswain-operator, which deploy/infra/rbac.yaml allows; the token itself can
# only read.
#
#   kubectl --context infra apply -f deploy/infra/rbac.yaml
#   deploy/infra/mint-kubeconfig.sh --context infra --server https://infra.k8s.monosense.io:6443 \
#     --apps-context apps            # writes Secret coxswain/coxswain-infra-kubeconfig on apps
#
# Without --apps-context the kubeconfig is printed (or written to --out FILE). TokenRequest
# tokens expire: the API server caps --duration at its --service-account-max-token-expiration.
# Re-run before it ends, then `kubectl -n coxswain rollout restart deploy/coxswain` on apps so
# the bot reads the new file.
set -euo pipefail

usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
  cat <<'USAGE'
Options:
  --context CTX        kubeconfig context of the infra cluster (default: the current one)
  --kubeconfig FILE    kubeconfig to read it from (default: $KUBECONFIG or ~/.kube/config)
  --namespace NS       namespace of the accounts (default coxswain)
  --account NAME       the read-only ServiceAccount (default coxswain)
  --duration D         token lifetime (default 720h)
  --server URL         API server address the bot dials (default: the context's server)
  --cluster-name NAME  cluster name inside the kubeconfig (default infra)
  --out FILE           write the kubeconfig here instead of stdout
  --apps-context CTX   instead, store it as Secret <namespace>/<secret> in this context (apps)
  --secret NAME        the Secret's name (default coxswain-infra-kubeconfig)
USAGE
}

KUBECTL=${KUBECTL:-kubectl}
context="" kubeconfig="" namespace=coxswain account=coxswain duration=720h server="" name=infra
out="" apps_context="" secret=coxswain-infra-kubeconfig
while [[ $# -gt 0 ]]; do
  case $1 in
    --context) context=$2; shift 2 ;;
    --kubeconfig) kubeconfig=$2; shift 2 ;;
    --namespace) namespace=$2; shift 2 ;;
    --account) account=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --server) server=$2; shift 2 ;;
    --cluster-name) name=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --apps-context) apps_context=$2; shift 2 ;;
    --secret) secret=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "mint-kubeconfig.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

k() { # kubectl against the infra cluster
  local args=()
  [[ -n $kubeconfig ]] && args+=(--kubeconfig "$kubeconfig")
  [[ -n $context ]] && args+=(--context "$context")
  "$KUBECTL" "${args[@]}" "$@"
}

view() { k config view --minify --raw -o "jsonpath=$1"; }
[[ -n $server ]] || server=$(view '{.clusters[0].cluster.server}')
ca=$(view '{.clusters[0].cluster.certificate-authority-data}')
if [[ -z $ca ]]; then
  ca_file=$(view '{.clusters[0].cluster.certificate-authority}')
  [[ -n $ca_file && -r $ca_file ]] || { echo "mint-kubeconfig.sh: the context has no CA certificate; pass one with --kubeconfig" >&2; exit 1; }
  ca=$(base64 -w0 < "$ca_file")
fi
[[ -n $server ]] || { echo "mint-kubeconfig.sh: no API server address; pass --server" >&2; exit 1; }

token=$(k create token "$account" --namespace "$namespace" --duration "$duration")

config=$(cat <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: $name
    cluster:
      server: $server
      certificate-authority-data: $ca
users:
  - name: $account@$name
    user:
      token: $token
contexts:
  - name: $name
    context:
      cluster: $name
      user: $account@$name
      namespace: $namespace
current-context: $name
KUBECONFIG
)

if [[ -n $apps_context ]]; then
  printf '%s\n' "$config" |
    "$KUBECTL" --context "$apps_context" --namespace "$namespace" create secret generic "$secret" \
      --from-file=kubeconfig=/dev/stdin --dry-run=client -o yaml |
    "$KUBECTL" --context "$apps_context" apply -f -
elif [[ -n $out ]]; then
  (umask 077 && printf '%s\n' "$config" > "$out")
  echo "wrote $out (token for $namespace/$account, valid $duration)" >&2
else
  printf '%s\n' "$config"
fi
