# swarm-balance agent image.
#
#   docker build -t swarm-balance .
#   docker stack deploy -c docker-stack.yml swarm-balance        (see docs/deploy.md)
#
# Two stages: the build stage installs every dependency, compiles TypeScript and drops the dev
# dependencies; the runtime stage gets only dist/, the production node_modules and package.json.
# Works with BuildKit and with the legacy builder (no RUN --mount, no syntax directive).
#
# Runtime: Node.js 24 LTS, the official image pinned by its digest (multi-platform index) with the
# tag beside it, so a rebuild gets the same bytes until this line is changed on purpose. To move to a
# newer 24.x: `docker buildx imagetools inspect node:24.X.Y-bookworm-slim` (or `docker pull` it and
# read RepoDigests), put tag and digest here; the tests take the version from this line
# (test/support/node-runtime.sh). `--build-arg NODE_IMAGE=…` swaps the base (a mirror, or the test
# suite's stand-in on a machine without a registry).
ARG NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:0e0ff40c39bc087845bfb27465a0df4ea419520094bc35842ff83dd8cbe6f9b6

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first, so that a source change does not reinstall them. --ignore-scripts: no
# dependency needs its install script here (ssh2's and cpu-features' native builds are optional and
# only serve ssh:// Docker hosts); it also keeps third-party scripts out of the build.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The git commit for build_info's `revision` (the context has no .git): --build-arg SWARM_BALANCE_REVISION=$(git rev-parse HEAD)
ARG SWARM_BALANCE_REVISION=""
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
ARG SOURCE_URL=""
LABEL org.opencontainers.image.title="swarm-balance" \
      org.opencontainers.image.description="Traffic-balance monitor and alerting agent for Docker Swarm: finds services whose traffic collapsed onto one replica." \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
# A 1 MiB young generation and two malloc arenas: ~30 MiB less RSS at 500 tasks for ~0.3 % more CPU
# (BENCHMARKS.md, agent-footprint). NODE_OPTIONS in the service's environment replaces the flag. V8's
# memory-saving heap is switched on by the agent itself (SWARM_BALANCE_MEMORY_SAVING, docs/deploy.md).
ENV NODE_ENV=production NODE_OPTIONS=--max-semi-space-size=1 MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Root on purpose: the agent reads other containers' /proc/<pid>/net/* through the host's /proc
# (mounted at /host/proc) and talks to the Docker socket; both need root or CAP_SYS_PTRACE plus the
# socket's group. docs/deploy.md explains the choice and the alternatives (read-only API gate).
USER root
EXPOSE 9479
# Node itself is the probe (no curl or wget in slim images). It asks /healthz on the port of
# SWARM_BALANCE_LISTEN (default 9479) on loopback. node:http rather than fetch: about 40 ms of CPU
# and 44 MB for a moment per check instead of 130 ms and 84 MB (fetch loads undici).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "require('node:http').get({host:'127.0.0.1',port:(process.env.SWARM_BALANCE_LISTEN||':9479').split(':').pop(),path:'/healthz',timeout:4000},(r)=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["agent"]
