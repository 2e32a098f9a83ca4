/**
 * The objects the app-failover test makes: a standby Mattermost on infra, exported, and on apps
 * its mirror as Linkerd's service mirror writes it (labels, remote-svc-fq-name, Endpoints at
 * infra's gateway) and a TrafficSplit in the form linkerd-failover acts on.
 */
export const NS = 'mattermost';
export const APP = 'mattermost';
export const MIRROR = 'mattermost-infra';

export const STANDBY = `
apiVersion: v1
kind: Namespace
metadata:
  name: ${NS}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${APP}
  namespace: ${NS}
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: ${APP}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ${APP}
    spec:
      containers:
        - name: ${APP}
          image: mattermost/mattermost-enterprise-edition:10.12.1
      tolerations:
        - key: node-role.kubernetes.io/control-plane
          operator: Exists
          effect: NoSchedule
---
apiVersion: v1
kind: Service
metadata:
  name: ${APP}
  namespace: ${NS}
  labels:
    mirror.linkerd.io/exported: "true"
spec:
  ports:
    - name: main
      port: 8065
  selector:
    app.kubernetes.io/name: ${APP}
`;

export const CONSUMER = `
apiVersion: v1
kind: Service
metadata:
  name: ${MIRROR}
  namespace: ${NS}
  labels:
    mirror.linkerd.io/mirrored-service: "true"
    mirror.linkerd.io/cluster-name: infra
  annotations:
    mirror.linkerd.io/remote-gateway-identity: linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.cluster.local
    mirror.linkerd.io/remote-svc-fq-name: ${APP}.${NS}.svc.cluster.local
spec:
  ports:
    - name: main
      port: 8065
---
apiVersion: v1
kind: Endpoints
metadata:
  name: ${MIRROR}
  namespace: ${NS}
  labels:
    mirror.linkerd.io/mirrored-service: "true"
    mirror.linkerd.io/cluster-name: infra
subsets:
  - addresses:
      - ip: 10.25.11.100
    ports:
      - name: main
        port: 4143
---
apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata:
  name: ${APP}
  namespace: ${NS}
  labels:
    failover.linkerd.io/controlled-by: linkerd-failover
  annotations:
    failover.linkerd.io/primary-service: ${APP}
spec:
  service: ${APP}
  backends:
    - service: ${APP}
      weight: 1
    - service: ${MIRROR}
      weight: 0
`;
