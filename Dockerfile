# One image for every Huizhen process; the compose file picks the app with APP.
FROM node:22-bookworm-slim AS build
WORKDIR /app
# The mediasoup worker: mediasoup's own prebuilt download, else the offline Debian build.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ patch ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:22-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libuv1 libssl3 libsrtp2-1 libabsl20220623 fonts-noto-cjk tini \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production DATA_DIR=/data
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/apps/web/dist ./apps/web/dist
COPY --from=build /app/package.json ./
ARG APP=server
ENV APP=${APP}
VOLUME /data
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["sh", "-c", "exec node dist/apps/${APP}/apps/${APP}/src/main.js"]
