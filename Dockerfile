# Fleetlens production image: build with dev dependencies, run pruned to production ones.
# The container runs scripts/start.ts: migrations, then the dashboard on port 3000 and the
# collection worker, and exits 1 when the dashboard dies (restart policy). It needs
# DATABASE_URL (see docker-compose.yml) and FLEETLENS_SECRET_KEY.
# Node 24 (the current LTS line); package.json's engines still admit Node 20.19+ outside the image.
# npm ci installs exactly package-lock.json, which holds every platform's optional packages.

FROM node:24-bookworm-slim AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 PORT=3000 FLEETLENS_DATA_DIR=/app/.data
# Chromium prints the customer report's PDF (server/report/pdf.ts, FLEETLENS_CHROMIUM); DejaVu gives it fonts.
RUN apt-get update && apt-get install -y --no-install-recommends chromium fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
ENV FLEETLENS_CHROMIUM=/usr/bin/chromium
RUN useradd --system --uid 1001 --home-dir /app fleetlens && mkdir -p /app/.data && chown fleetlens /app/.data
COPY --from=build --chown=fleetlens /app/package.json /app/next.config.js /app/postcss.config.mjs ./
COPY --from=build --chown=fleetlens /app/node_modules ./node_modules
COPY --from=build --chown=fleetlens /app/.next ./.next
COPY --from=build --chown=fleetlens /app/prisma ./prisma
COPY --from=build --chown=fleetlens /app/app ./app
COPY --from=build --chown=fleetlens /app/components ./components
COPY --from=build --chown=fleetlens /app/lib ./lib
COPY --from=build --chown=fleetlens /app/server ./server
COPY --from=build --chown=fleetlens /app/scripts ./scripts
USER fleetlens
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD node -e "fetch('http://127.0.0.1:3000/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# node itself, not the tsx command: tsx's CLI would SIGKILL start.ts when it is slow to confirm a
# SIGTERM, leaving PostgreSQL and the dashboard without their clean stop.
CMD ["node", "--import", "tsx", "scripts/start.ts"]
