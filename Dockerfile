# syntax=docker/dockerfile:1
# coxswain's image. Two stages: `build` compiles TypeScript with every dev dependency, then
# prunes to production dependencies; `run` gets only dist/, bin/ and those node_modules, runs
# as a numeric non-root user, needs no shell, writes nothing outside /data and /tmp (the chart
# mounts both; the root file system is read-only), and fetches nothing at run time, so it runs
# from the platform's offline Harbor registry.
#
#   docker build -t harbor.apps.k8s.monosense.io/platform/coxswain:0.1.0 \
#     --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) .
#
# Pin the base image by digest for a release: NODE_IMAGE=docker.io/library/node:24.21.0-bookworm-slim@sha256:…
# (or your Harbor proxy of it); `docker buildx imagetools inspect` prints the digest of a tag.
ARG NODE_IMAGE=docker.io/library/node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts keeps `prepare` (tsc) from running before the sources are here. No compiler is
# needed: better-sqlite3 ships its native module prebuilt for linux-x64/arm64 (glibc) in the
# package, so the build also works from an offline npm mirror.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY commands ./commands
COPY handlers ./handlers
COPY adapters ./adapters
# tsc emits only JavaScript; the data files the engines read at run time (phases.yaml,
# drills.yaml, ...) go next to the compiled modules that load them.
RUN npm run build \
 && find src commands handlers adapters -name '*.yaml' -exec cp --parents {} dist/ \; \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS run
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="coxswain" \
      org.opencontainers.image.description="Chat-ops bot for the two-cluster Kubernetes platform, in Mattermost and Rocket.Chat" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/coxswain/coxswain" \
      org.opencontainers.image.base.name="docker.io/library/node:24-bookworm-slim"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=0:0 /src/package.json /src/package-lock.json ./
COPY --from=build --chown=0:0 /src/bin ./bin
COPY --from=build --chown=0:0 /src/dist ./dist
COPY --from=build --chown=0:0 /src/node_modules ./node_modules
# The state directory (the SQLite file) belongs to the run user; Kubernetes mounts a volume here.
# (A shell at build time only; nothing at run time needs one.)
RUN mkdir -p /data && chown 10001:10001 /data && chmod 0750 /data
USER 10001:10001
WORKDIR /data
EXPOSE 8080
# Exec form: no shell at run time. Probes are Kubernetes' job, so no HEALTHCHECK.
ENTRYPOINT ["node", "/app/bin/coxswain.js"]
CMD ["--config", "/etc/coxswain/coxswain.yaml"]
