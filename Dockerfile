# syntax=docker/dockerfile:1
# A Venn node as a container: build in one stage, run as an unprivileged user in another.
#   docker build -t venn .
#   docker run --rm -v venn-node:/var/lib/venn venn init --dir /var/lib/venn/node --id lab-a \
#     --listen 0.0.0.0:7001 --admin 0.0.0.0:7100 --endpoint wss://venn.lab-a.example:7001
#   docker run -d --name venn -v venn-node:/var/lib/venn -p 7001:7001 -p 127.0.0.1:7100:7100 venn
# The node directory (config, identity key, store, roster) lives in the volume /var/lib/venn.

FROM node:20-bookworm-slim AS build
# better-sqlite3 and libsodium come as prebuilt binaries for this platform; the toolchain is the
# fallback when one is missing.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/venn
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml tsconfig.json tsconfig.base.json ./
COPY scripts ./scripts
COPY packages ./packages
COPY deploy ./deploy
RUN node scripts/pnpm.mjs install --frozen-lockfile \
 && node scripts/pnpm.mjs run build \
 && CI=true node scripts/pnpm.mjs install --frozen-lockfile --prod \
 && chmod 0755 packages/node/dist/cli.js

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    VENN_DIR=/var/lib/venn/node
RUN groupadd --system venn \
 && useradd --system --gid venn --home-dir /var/lib/venn --shell /usr/sbin/nologin venn \
 && install -d -o venn -g venn -m 0700 /var/lib/venn
COPY --from=build /opt/venn /opt/venn
RUN ln -s /opt/venn/packages/node/dist/cli.js /usr/local/bin/venn
USER venn
WORKDIR /var/lib/venn
VOLUME ["/var/lib/venn"]
# The peer listener and the admin endpoint, as set by venn init --listen and --admin.
EXPOSE 7001 7100
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/opt/venn/deploy/healthcheck.mjs"]
# SIGTERM stops the daemon gracefully; SIGHUP (docker kill -s HUP venn) reloads it.
STOPSIGNAL SIGTERM
ENTRYPOINT ["venn"]
CMD ["start"]
