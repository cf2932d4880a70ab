# syntax=docker/dockerfile:1
# Tandem's server as an image: `docker build -t tandem .`, or `docker compose up` (compose.yaml) for a
# two-node cluster. Node code runs from its TypeScript sources through tsx (as `npm start` does); only the
# browser bundles are built. No secret is baked in: TANDEM_SECRET and the passwords come from the
# environment at run time (.env is in .dockerignore).

# Node 24, the newest LTS and the one .ci/run tests besides 20; Tandem runs on 20, 22 and 24 (package.json engines): --build-arg NODE_MAJOR=22 for another.
ARG NODE_MAJOR=24

FROM node:${NODE_MAJOR}-bookworm-slim AS build
# better-sqlite3 compiles when no prebuilt binary fits; the image's own Node headers (nodedir) keep that offline.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
WORKDIR /app
# The manifests first: the dependencies layer is reused until one of them changes.
COPY package.json package-lock.json ./
COPY packages/cli/package.json packages/cli/
COPY packages/console/package.json packages/console/
COPY packages/demo/package.json packages/demo/
COPY packages/mirror/package.json packages/mirror/
COPY packages/protocol/package.json packages/protocol/
COPY packages/sdk/package.json packages/sdk/
COPY packages/server/package.json packages/server/
COPY packages/viewer/package.json packages/viewer/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts scripts
COPY packages packages
# The browser bundles (the SDK, the console, the watch page), then only what runs is kept.
RUN node scripts/build.mjs && npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_MAJOR}-bookworm-slim
WORKDIR /app
# Owned by root: the server's user can read its code but not change it.
COPY --from=build /app/package.json /app/tsconfig.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages packages
# The data directory: the SQLite store and secret.key of a single node; with DATABASE_URL and TANDEM_SECRET
# (compose.yaml) nothing lasting is written there, but the server still wants it writable.
RUN mkdir -p /data && chown node:node /data
ENV TANDEM_DATA_DIR=/data PORT=8080 HOST=0.0.0.0
VOLUME ["/data"]
USER node
EXPOSE 8080
# The server drains on SIGTERM: clients are told to reconnect (close 4012), requests in flight get 5 s.
STOPSIGNAL SIGTERM
# /healthz answers 200 {"ok":true} once the server listens. The slim image has no curl: Node's fetch asks.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "packages/cli/bin/tandem.js", "start"]
