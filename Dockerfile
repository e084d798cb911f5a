# chronosd: build with the dev toolchain, run on a slim image as a non-root user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci && npm prune --omit=dev

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
RUN mkdir -p /var/lib/chronos && chown node:node /var/lib/chronos
USER node
VOLUME /var/lib/chronos
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.CHRONOS_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/bin/chronosd.js"]
