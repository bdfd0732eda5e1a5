/** Images: one catalogue per snapshot, layers shared between images (domain.md: duplication waste). */
import type { CatalogueImage } from "./model";
import { DAY_MS, digestOf } from "./random";

interface ImageDef {
  /** "{registry}" stands for the customer's own registry. */
  ref: string;
  from: string | null;
  /** Own layer sizes in bytes, bottom to top, on top of the parent's layers. */
  layers: number[];
  ageDays: number;
}

const MB = 1_000_000;
export const REGISTRY = "{registry}";

const IMAGES: ImageDef[] = [
  // Bases: every Debian-based image shares bookworm-slim's layer, every Alpine-based one Alpine's.
  { ref: "debian:bookworm-slim", from: null, layers: [74.8 * MB], ageDays: 20 },
  { ref: "alpine:3.20", from: null, layers: [7.8 * MB], ageDays: 60 },
  { ref: "ubuntu:22.04", from: null, layers: [77.9 * MB], ageDays: 35 },
  { ref: "ubuntu:24.04", from: null, layers: [78.1 * MB], ageDays: 35 },
  { ref: "busybox:1.36-glibc", from: null, layers: [4.3 * MB], ageDays: 200 },
  { ref: "registry.access.redhat.com/ubi9/ubi-minimal:9.4", from: null, layers: [101 * MB], ageDays: 45 },
  // Public images.
  { ref: "nginx:1.27", from: "debian:bookworm-slim", layers: [112 * MB, 628, 956, 405, 1210, 1402], ageDays: 25 },
  { ref: "nginx:1.25", from: "debian:bookworm-slim", layers: [111.5 * MB, 627, 955, 404, 1208, 1400], ageDays: 300 },
  { ref: "nginx:1.27-alpine", from: "alpine:3.20", layers: [38.9 * MB, 628, 956, 405, 1210], ageDays: 25 },
  { ref: "postgres:16", from: "debian:bookworm-slim", layers: [4.2 * MB, 9.8 * MB, 1.3 * MB, 312 * MB, 9600, 172, 4700], ageDays: 30 },
  { ref: "postgres:15", from: "debian:bookworm-slim", layers: [4.2 * MB, 9.7 * MB, 1.3 * MB, 305 * MB, 9500, 172, 4700], ageDays: 200 },
  { ref: "redis:7", from: "debian:bookworm-slim", layers: [3900, 1.5 * MB, 39.6 * MB, 98, 413], ageDays: 40 },
  { ref: "redis:7-alpine", from: "alpine:3.20", layers: [3700, 1200, 28.5 * MB, 98, 410], ageDays: 40 },
  { ref: "redis:6.2", from: "debian:bookworm-slim", layers: [3900, 1.5 * MB, 33.1 * MB, 98, 413], ageDays: 380 },
  { ref: "node:20-alpine", from: "alpine:3.20", layers: [126 * MB, 5.4 * MB, 446], ageDays: 30 },
  { ref: "node:18-alpine", from: "alpine:3.20", layers: [122 * MB, 5.3 * MB, 446], ageDays: 250 },
  { ref: "python:3.12-slim", from: "debian:bookworm-slim", layers: [3.5 * MB, 41.2 * MB, 250], ageDays: 28 },
  { ref: "python:3.11-slim", from: "debian:bookworm-slim", layers: [3.5 * MB, 39.8 * MB, 250], ageDays: 260 },
  { ref: "eclipse-temurin:21-jre", from: "ubuntu:22.04", layers: [17.4 * MB, 148 * MB, 160, 2300], ageDays: 50 },
  { ref: "mariadb:11.4", from: "ubuntu:24.04", layers: [7.7 * MB, 1.2 * MB, 318 * MB, 5400, 330], ageDays: 45 },
  {
    ref: "wordpress:6.6-apache",
    from: "debian:bookworm-slim",
    layers: [270 * MB, 228, 116 * MB, 500, 12 * MB, 35 * MB, 140 * MB, 2300],
    ageDays: 60,
  },
  { ref: "rabbitmq:3.13-management", from: "ubuntu:22.04", layers: [60 * MB, 27 * MB, 45 * MB, 100, 13 * MB], ageDays: 55 },
  { ref: "docker.elastic.co/elasticsearch/elasticsearch:8.15.1", from: "ubuntu:22.04", layers: [32 * MB, 1180 * MB, 110_000, 5200], ageDays: 90 },
  { ref: "quay.io/keycloak/keycloak:25.0", from: "registry.access.redhat.com/ubi9/ubi-minimal:9.4", layers: [350 * MB, 2500], ageDays: 80 },
  { ref: "pytorch/pytorch:2.4.1-cuda12.1-cudnn9-runtime", from: "ubuntu:22.04", layers: [3200 * MB, 2900 * MB, 1100], ageDays: 120 },
  { ref: "grafana/grafana:11.2.0", from: "alpine:3.20", layers: [450 * MB, 2.9 * MB, 12_000, 800], ageDays: 70 },
  { ref: "prom/prometheus:v2.54.1", from: "busybox:1.36-glibc", layers: [1.3 * MB, 268 * MB, 12_000, 1900], ageDays: 75 },
  { ref: "prom/node-exporter:v1.8.2", from: "busybox:1.36-glibc", layers: [1.3 * MB, 20.7 * MB], ageDays: 140 },
  { ref: "gcr.io/cadvisor/cadvisor:v0.49.1", from: "alpine:3.20", layers: [18 * MB, 62 * MB], ageDays: 180 },
  { ref: "traefik:v3.1", from: "alpine:3.20", layers: [0.6 * MB, 163 * MB, 370], ageDays: 65 },
  { ref: "portainer/portainer-ce:2.21.2", from: null, layers: [2.4 * MB, 292 * MB], ageDays: 85 },
  { ref: "containrrr/watchtower:1.7.1", from: null, layers: [11 * MB, 3.7 * MB, 160], ageDays: 600 },
  { ref: "fluent/fluent-bit:3.1", from: null, layers: [80 * MB], ageDays: 95 },
  { ref: "restic/restic:0.17.1", from: "alpine:3.20", layers: [30 * MB], ageDays: 110 },
  { ref: "rclone/rclone:1.68", from: "alpine:3.20", layers: [60 * MB, 1800], ageDays: 100 },
  { ref: "lscr.io/linuxserver/wireguard:1.0.20210914", from: "alpine:3.20", layers: [40 * MB, 55 * MB, 300], ageDays: 150 },
  { ref: "nicolaka/netshoot:v0.13", from: "alpine:3.20", layers: [430 * MB], ageDays: 210 },
  { ref: "gitlab/gitlab-runner:v17.4.0", from: "ubuntu:22.04", layers: [400 * MB, 2000], ageDays: 70 },
  { ref: "docker:27-dind", from: "alpine:3.20", layers: [8 * MB, 155 * MB, 120 * MB, 4000, 1200], ageDays: 40 },
  // The customer's own images, built on the public ones.
  { ref: `${REGISTRY}/shop/api:2.3.1`, from: "node:20-alpine", layers: [1200, 48 * MB, 3.6 * MB], ageDays: 12 },
  { ref: `${REGISTRY}/shop/api:2.2.0`, from: "node:20-alpine", layers: [1200, 47 * MB, 3.5 * MB], ageDays: 70 },
  { ref: `${REGISTRY}/shop/web:2.3.1`, from: "nginx:1.27-alpine", layers: [12.3 * MB, 700], ageDays: 12 },
  { ref: `${REGISTRY}/crm/backend:4.12.0`, from: "eclipse-temurin:21-jre", layers: [94 * MB, 2100], ageDays: 20 },
  { ref: `${REGISTRY}/crm/frontend:4.12.0`, from: "nginx:1.27-alpine", layers: [8.9 * MB, 650], ageDays: 20 },
  { ref: `${REGISTRY}/analytics/etl:1.8.0`, from: "python:3.12-slim", layers: [212 * MB, 3.1 * MB], ageDays: 8 },
  { ref: `${REGISTRY}/billing/service:1.4.2`, from: "python:3.12-slim", layers: [88 * MB, 1.9 * MB], ageDays: 33 },
];

/** Pulled once and no longer used by any container: old versions and bases pulled to debug. */
export const LEFTOVER_IMAGES = [
  "nginx:1.25", "postgres:15", "redis:6.2", "node:18-alpine", "python:3.11-slim", `${REGISTRY}/shop/api:2.2.0`,
  "alpine:3.20", "ubuntu:22.04",
];

/** Digests depend only on the image reference: public images are byte-identical across customers. */
export function buildCatalogue(registry: string, baseMs: number): Map<string, CatalogueImage> {
  const defs = new Map(IMAGES.map((d) => [d.ref, d]));
  const resolved = new Map<string, CatalogueImage>();
  const resolve = (key: string): CatalogueImage => {
    const done = resolved.get(key);
    if (done) return done;
    const def = defs.get(key);
    if (!def) throw new Error(`image ${key} is not in the catalogue`);
    const ref = key.replace(REGISTRY, registry);
    const own = def.layers.map((size, i) => ({ digest: `sha256:${digestOf(`layer|${ref}|${i}`)}`, sizeBytes: Math.round(size) }));
    const layers = def.from ? [...resolve(def.from).layers, ...own] : own;
    const image: CatalogueImage = {
      ref,
      shortId: digestOf(`config|${ref}`).slice(0, 12),
      repoTags: [ref],
      repoDigests: [`${ref.slice(0, ref.lastIndexOf(":"))}@sha256:${digestOf(`manifest|${ref}`)}`],
      layers,
      sizeBytes: layers.reduce((a, l) => a + l.sizeBytes, 0),
      createdAt: new Date(baseMs - def.ageDays * DAY_MS).toISOString(),
    };
    resolved.set(key, image);
    return image;
  };
  for (const def of IMAGES) resolve(def.ref);
  return resolved;
}
