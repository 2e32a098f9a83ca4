{{/*
The bot's own alerts, shared by the PrometheusRule and the VMRule. Both scrape objects set the
job label from app.kubernetes.io/instance, so `job` is the release name.
*/}}
{{- define "coxswain.ruleGroups" -}}
{{- $job := printf "job=%q, namespace=%q" .Release.Name .Release.Namespace -}}
{{- $a := .Values.alerts -}}
- name: coxswain
  rules:
    - alert: CoxswainDown
      expr: absent(up{ {{- $job -}} } == 1)
      for: 5m
      labels:
        severity: critical
      annotations:
        summary: coxswain is not running or not scraped
        description: No coxswain replica in {{ .Release.Namespace }} has answered a scrape for 5 minutes; chat commands and alert delivery are down.
        runbook_url: {{ $a.runbookBaseUrl }}#coxswaindown
    - alert: CoxswainOutboxBacklog
      expr: max by (namespace) (coxswain_outbox_pending{ {{- $job -}} }) > {{ $a.outboxBacklog.threshold }}
      for: {{ $a.outboxBacklog.for }}
      labels:
        severity: warning
      annotations:
        summary: coxswain has alerts it cannot deliver to chat
        description: '{{ "{{" }} $value {{ "}}" }} alert notifications have waited in the outbox for over {{ $a.outboxBacklog.for }}; check the chat server and the bot''s logs.'
        runbook_url: {{ $a.runbookBaseUrl }}#coxswainoutboxbacklog
    - alert: CoxswainAlertDeliveryFailed
      expr: max by (namespace) (coxswain_outbox_failed{ {{- $job -}} }) > 0
      labels:
        severity: warning
      annotations:
        summary: coxswain gave up delivering alerts to chat
        description: '{{ "{{" }} $value {{ "}}" }} alert notifications reached alerts.delivery.maxAttempts and are kept in the store as failed; check the bot''s logs for the chat error.'
        runbook_url: {{ $a.runbookBaseUrl }}#coxswainalertdeliveryfailed
    - alert: CoxswainChatDisconnected
      expr: max by (namespace, platform) (coxswain_chat_connected{ {{- $job -}} }) == 0
      for: {{ $a.chatDisconnected.for }}
      labels:
        severity: critical
      annotations:
        summary: coxswain is disconnected from {{ "{{" }} $labels.platform {{ "}}" }}
        description: No replica has been connected to {{ "{{" }} $labels.platform {{ "}}" }} for {{ $a.chatDisconnected.for }}; commands go unanswered and alerts queue in the outbox.
        runbook_url: {{ $a.runbookBaseUrl }}#coxswainchatdisconnected
    - alert: CoxswainLeaderMissing
      expr: sum(up{ {{- $job -}} }) > 0 unless sum(coxswain_leader{ {{- $job -}} }) > 0
      for: {{ $a.leaderMissing.for }}
      labels:
        severity: warning
      annotations:
        summary: no coxswain replica holds the leader Lease
        description: coxswain is running but no replica has been leader for {{ $a.leaderMissing.for }}; scheduled health summaries and drills do not run.
        runbook_url: {{ $a.runbookBaseUrl }}#coxswainleadermissing
{{- end -}}
