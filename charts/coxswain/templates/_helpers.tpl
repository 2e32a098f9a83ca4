{{/* The chart's name. */}}
{{- define "coxswain.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name: the release name, unless it already contains the chart name's. */}}
{{- define "coxswain.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "coxswain.selectorLabels" -}}
app.kubernetes.io/name: {{ include "coxswain.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "coxswain.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "coxswain.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: coxswain
{{- end -}}

{{/* The bot's ServiceAccount. */}}
{{- define "coxswain.serviceAccountName" -}}
{{- default (include "coxswain.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The Secret mounted at /run/secrets/coxswain. */}}
{{- define "coxswain.secretName" -}}
{{- default (include "coxswain.fullname" .) .Values.secrets.name -}}
{{- end -}}

{{- define "coxswain.image" -}}
{{- $ref := printf "%s/%s" .Values.image.registry .Values.image.repository -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $ref .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $ref (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* "true" when several replicas elect a leader through a Lease. */}}
{{- define "coxswain.leaderElection" -}}
{{- if gt (int .Values.replicaCount) 1 -}}
true
{{- end -}}
{{- end -}}

{{- define "coxswain.leaseName" -}}
{{- default (printf "%s-leader" (include "coxswain.fullname" .)) .Values.leaderElection.leaseName -}}
{{- end -}}

{{/*
The config file: values.config, plus what the chart knows better than the values: the clusters
(unless config.clusters is set) and the leader election that matches the Deployment and its Lease
RBAC.
*/}}
{{- define "coxswain.config" -}}
{{- $cfg := deepCopy .Values.config -}}
{{- if not (hasKey $cfg "clusters") -}}
{{- $clusters := list (dict "name" .Values.clusterName "inCluster" true) -}}
{{- range .Values.remoteClusters -}}
{{- $clusters = append $clusters (dict "name" .name "kubeconfig" (printf "/run/secrets/coxswain-kube/%s/kubeconfig" .name)) -}}
{{- end -}}
{{- $_ := set $cfg "clusters" $clusters -}}
{{- end -}}
{{- $election := dict "replicas" (int .Values.replicaCount) "cluster" .Values.clusterName "namespace" .Release.Namespace "lease" (include "coxswain.leaseName" .) -}}
{{- $_ := set $cfg "leaderElection" (mergeOverwrite (deepCopy (default dict $cfg.leaderElection)) $election) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* The job label the scrape objects give the metrics: the Service's name. */}}
{{- define "coxswain.job" -}}
{{- include "coxswain.fullname" . -}}
{{- end -}}

{{/* Checks that combinations of values make sense; fails the render with the fix otherwise. */}}
{{- define "coxswain.validate" -}}
{{- if and (eq .Values.mode "full") (gt (int .Values.replicaCount) 1) (ne (toString (dig "store" "driver" "sqlite" .Values.config)) "postgres") -}}
{{- fail "replicaCount > 1 needs config.store.driver: postgres (an SQLite file cannot be shared by several replicas)" -}}
{{- end -}}
{{- end -}}

{{/* The container's port: config.http.port. */}}
{{- define "coxswain.httpPort" -}}
{{- int (dig "http" "port" 8080 .Values.config) -}}
{{- end -}}
