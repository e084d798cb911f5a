# chronosd: build with the dev toolchain, run on a slim image as a non-root user.
# Migrations: chronosd applies pending ones at every start, under a PostgreSQL
# advisory lock (replicas starting together wait for each other); `chronos
# migrate` applies them alone and exits (deploy/compose.yaml and the
# Kubernetes Job run it before the replicas). See docs/deploy.md.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# npm ci runs the package's prepare script, which compiles src/ to dist/.
RUN npm ci && npm prune --omit=dev && chmod +x dist/bin/chronos.js dist/bin/chronosd.js

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    CHRONOS_HOST=0.0.0.0 \
    CHRONOS_PORT=8080 \
    CHRONOS_DATA_DIR=/var/lib/chronos
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json chronos.config.kvx chronos-tools.json ./
COPY migrations ./migrations
COPY ui ./ui
# `chronos` and `chronosd` on the PATH: `docker compose exec chronosd-1 chronos admin ...`, and the migration job's command.
RUN ln -s /app/dist/bin/chronos.js /usr/local/bin/chronos \
 && ln -s /app/dist/bin/chronosd.js /usr/local/bin/chronosd \
 && mkdir -p /var/lib/chronos && chown 1000:1000 /var/lib/chronos
# The base image's `node` user, by number so that Kubernetes' runAsNonRoot can check it.
USER 1000:1000
# Only the embedded database (no CHRONOS_DATABASE_URL) writes here.
VOLUME /var/lib/chronos
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.CHRONOS_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/bin/chronosd.js"]
