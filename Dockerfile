# Ramkey's container image: Node 20 slim, the built server with its production dependencies only,
# run as the unprivileged `node` user, the data directory (/data) a volume. The README's "Container
# image and compose" says how to run it, alone on SQLite or as nodes on PostgreSQL and Redis.

FROM node:20-slim AS build
WORKDIR /app
# The toolchain builds better-sqlite3 where no prebuilt binary fits the platform; it stays in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Install scripts run only where package.json allows them (allowScripts): better-sqlite3's.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json tsconfig.client.json ./
COPY src ./src
COPY console ./console
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production \
    RAMKEY_DATA=/data \
    RAMKEY_HOST=0.0.0.0 \
    RAMKEY_PORT=8080
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The data directory holds the SQLite database and the master key file: its owner's only.
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
VOLUME /data
EXPOSE 8080
# Liveness over plain HTTP inside the container (the image is meant to sit behind a TLS proxy).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.RAMKEY_PORT || '8080') + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
# Initialise on the first start (the credentials go to /data/initial-credentials.json, mode 0600,
# whose path is logged; to the terminal instead with `docker run -it`), then serve. Plain HTTP on
# 0.0.0.0 needs --insecure-http: terminate TLS in front of the container, or set RAMKEY_TLS_CERT
# and RAMKEY_TLS_KEY (then HTTPS is served and the health check needs replacing).
CMD ["start", "--insecure-http"]
