/** Container services: what runs on the engine hosts, with the settings the CIS Docker checks read. */
import { REGISTRY } from "./images";
import type { MountInput, PortInput } from "./model";
import { Weighted } from "./random";

interface Bind {
  source: string;
  destination: string;
  readOnly?: boolean;
  propagation?: string;
}

interface ServiceDef {
  name: string;
  /** Image keys of the catalogue; one is chosen per deployment. */
  images: string[];
  /** Config.User as the image ships it; null = root (CIS 4.1). */
  user: string | null;
  /** The non-root user a careful deployment sets for a root-by-default image (Compose `user:`). */
  runAs?: string;
  command: string | null;
  /** Publish ports on the host: on their own number ("same") or on the next free one ("auto"). */
  publish?: "same" | "auto";
  ports?: number[];
  udpPorts?: number[];
  /** Named volumes: [volume key, destination]. */
  volumes?: [string, string][];
  binds?: Bind[];
  /** The memory limit a tidy deployment sets, MiB. */
  memoryMiB: number;
  replicas?: number;
  health?: boolean;
  readOnlyOk?: boolean;
  privileged?: boolean;
  capAdd?: string[];
  hostNetwork?: boolean;
  hostPid?: boolean;
  hostIpc?: boolean;
  hostUts?: boolean;
  seccompUnconfined?: boolean;
  apparmorUnconfined?: boolean;
  devices?: string[];
  /** Infrastructure agents: their compose project, or none when started with `docker run`. */
  project?: string;
  standalone?: boolean;
}

/** A service with its derived, shared values. */
export interface Service extends ServiceDef {
  exposed: PortInput[];
  bindMounts: MountInput[];
  usesSocket: boolean;
}

export const DOCKER_SOCKET = "/var/run/docker.sock";
export const PODMAN_SOCKET = "/run/podman/podman.sock";

function service(def: ServiceDef): Service {
  const ports = [
    ...(def.ports ?? []).map((p) => ({ port: p, protocol: "tcp" as const })),
    ...(def.udpPorts ?? []).map((p) => ({ port: p, protocol: "udp" as const })),
  ];
  return {
    ...def,
    exposed: ports.map(({ port, protocol }) => ({ containerPort: port, protocol, hostIp: null, hostPort: null })),
    bindMounts: (def.binds ?? []).map((b) => ({
      type: "bind",
      source: b.source,
      destination: b.destination,
      readOnly: b.readOnly ?? false,
      propagation: b.propagation ?? "rprivate",
    })),
    usesSocket: (def.binds ?? []).some((b) => b.source === DOCKER_SOCKET),
  };
}

const LOCALTIME: Bind = { source: "/etc/localtime", destination: "/etc/localtime", readOnly: true };
const SOCKET_RW: Bind = { source: DOCKER_SOCKET, destination: DOCKER_SOCKET };
const SOCKET_RO: Bind = { ...SOCKET_RW, readOnly: true };

const postgres = service({
  name: "db",
  images: ["postgres:16", "postgres:16", "postgres:15"],
  user: null,
  runAs: "999:999",
  command: "docker-entrypoint.sh postgres",
  ports: [5432],
  volumes: [["pgdata", "/var/lib/postgresql/data"]],
  memoryMiB: 2048,
  health: true,
});
const redis = service({
  name: "cache",
  images: ["redis:7", "redis:7-alpine"],
  user: null,
  runAs: "999:999",
  command: "docker-entrypoint.sh redis-server --appendonly yes",
  ports: [6379],
  volumes: [["redis-data", "/data"]],
  memoryMiB: 256,
  health: true,
});

interface StackDef {
  name: string;
  services: Service[];
}

/** Application stacks, deployed per tenant with Compose. */
export const STACKS = new Weighted<StackDef>([
  [
    {
      name: "shop",
      services: [
        service({ name: "web", images: [`${REGISTRY}/shop/web:2.3.1`], user: null, runAs: "101:101", command: "nginx -g 'daemon off;'", publish: "auto", ports: [80], memoryMiB: 128, replicas: 2, health: true, readOnlyOk: true }),
        service({ name: "api", images: [`${REGISTRY}/shop/api:2.3.1`], user: "node", command: "node dist/server.js", ports: [3000], memoryMiB: 512, replicas: 4, health: true, readOnlyOk: true }),
        service({ name: "worker", images: [`${REGISTRY}/shop/api:2.3.1`], user: "node", command: "node dist/worker.js", memoryMiB: 512, replicas: 3, readOnlyOk: true }),
        postgres,
        redis,
      ],
    },
    20,
  ],
  [
    {
      name: "crm",
      services: [
        service({ name: "frontend", images: [`${REGISTRY}/crm/frontend:4.12.0`], user: null, runAs: "101:101", command: "nginx -g 'daemon off;'", publish: "auto", ports: [80], memoryMiB: 128, replicas: 2, readOnlyOk: true }),
        service({ name: "backend", images: [`${REGISTRY}/crm/backend:4.12.0`], user: "1000", command: "java -jar /app/crm.jar", ports: [8080], binds: [LOCALTIME], memoryMiB: 1536, replicas: 3, health: true }),
        postgres,
        redis,
      ],
    },
    15,
  ],
  [
    {
      name: "blog",
      services: [
        service({ name: "wordpress", images: ["wordpress:6.6-apache"], user: null, runAs: "33:33", command: "apache2-foreground", publish: "auto", ports: [80], volumes: [["wp-content", "/var/www/html"]], memoryMiB: 512 }),
        service({ name: "db", images: ["mariadb:11.4"], user: null, runAs: "999:999", command: "docker-entrypoint.sh mariadbd", ports: [3306], volumes: [["mysql", "/var/lib/mysql"]], memoryMiB: 1024, health: true }),
      ],
    },
    10,
  ],
  [
    {
      name: "analytics",
      services: [
        service({ name: "etl", images: [`${REGISTRY}/analytics/etl:1.8.0`], user: "app", command: "python -m etl.run", binds: [LOCALTIME], memoryMiB: 2048, replicas: 3 }),
        service({ name: "scheduler", images: [`${REGISTRY}/analytics/etl:1.8.0`], user: "app", command: "python -m etl.scheduler", memoryMiB: 256 }),
        postgres,
      ],
    },
    10,
  ],
  [
    {
      name: "ml",
      services: [
        // PyTorch's own docs recommend --ipc=host for shared-memory data loaders (CIS 5.17).
        service({ name: "trainer", images: ["pytorch/pytorch:2.4.1-cuda12.1-cudnn9-runtime"], user: null, command: "python train.py", hostIpc: true, memoryMiB: 16384 }),
      ],
    },
    2,
  ],
  [
    {
      name: "billing",
      services: [
        service({ name: "service", images: [`${REGISTRY}/billing/service:1.4.2`], user: "10001", command: "gunicorn billing.wsgi:app", publish: "auto", ports: [8000], memoryMiB: 768, replicas: 3, health: true, readOnlyOk: true }),
        service({ name: "queue", images: ["rabbitmq:3.13-management"], user: null, runAs: "999:999", command: "docker-entrypoint.sh rabbitmq-server", ports: [5672, 15672], volumes: [["rabbitmq", "/var/lib/rabbitmq"]], memoryMiB: 1024, health: true }),
        postgres,
      ],
    },
    10,
  ],
  [
    {
      name: "auth",
      services: [
        service({ name: "keycloak", images: ["quay.io/keycloak/keycloak:25.0"], user: "1000", command: "/opt/keycloak/bin/kc.sh start", publish: "auto", ports: [8443], memoryMiB: 1024, health: true }),
        postgres,
      ],
    },
    8,
  ],
  [
    {
      name: "search",
      services: [
        service({ name: "elasticsearch", images: ["docker.elastic.co/elasticsearch/elasticsearch:8.15.1"], user: "1000:0", command: "/bin/tini -- /usr/local/bin/docker-entrypoint.sh eswrapper", ports: [9200, 9300], volumes: [["esdata", "/usr/share/elasticsearch/data"]], memoryMiB: 4096, health: true }),
      ],
    },
    5,
  ],
  [
    {
      name: "ci",
      services: [
        service({ name: "runner", images: ["gitlab/gitlab-runner:v17.4.0"], user: null, command: "/usr/bin/dumb-init /entrypoint run --user=gitlab-runner", binds: [SOCKET_RW], volumes: [["runner-config", "/etc/gitlab-runner"]], memoryMiB: 512 }),
        service({ name: "dind", images: ["docker:27-dind"], user: null, command: "dockerd-entrypoint.sh", privileged: true, ports: [2376], volumes: [["dind-storage", "/var/lib/docker"]], memoryMiB: 4096, replicas: 2 }),
      ],
    },
    4,
  ],
]);

// Infrastructure agents: node-exporter and cadvisor share the host's namespaces and mount its
// sensitive directories (CIS 5.6, 5.10, 5.16); traefik, portainer, watchtower and the CI runner
// mount the engine socket (CIS 5.32). They carry no tenant label: they serve the whole host.
const NODE_EXPORTER = service({
  name: "node-exporter",
  project: "monitoring",
  images: ["prom/node-exporter:v1.8.2"],
  user: "nobody",
  command: "/bin/node_exporter --path.rootfs=/host",
  hostNetwork: true,
  hostPid: true,
  binds: [
    { source: "/", destination: "/host", readOnly: true, propagation: "rslave" },
    { source: "/proc", destination: "/host/proc", readOnly: true },
    { source: "/sys", destination: "/host/sys", readOnly: true },
  ],
  memoryMiB: 64,
  readOnlyOk: true,
});
const CADVISOR = service({
  name: "cadvisor",
  project: "monitoring",
  images: ["gcr.io/cadvisor/cadvisor:v0.49.1"],
  user: null,
  command: "/usr/bin/cadvisor -logtostderr",
  privileged: true,
  devices: ["/dev/kmsg"],
  publish: "same",
  ports: [8080],
  binds: [
    { source: "/", destination: "/rootfs", readOnly: true },
    { source: "/var/run", destination: "/var/run", readOnly: true },
    { source: "/sys", destination: "/sys", readOnly: true },
    { source: "/var/lib/docker", destination: "/var/lib/docker", readOnly: true },
  ],
  memoryMiB: 256,
});
const PROMETHEUS = service({
  name: "prometheus",
  project: "monitoring",
  images: ["prom/prometheus:v2.54.1"],
  user: "nobody",
  command: "/bin/prometheus --config.file=/etc/prometheus/prometheus.yml",
  publish: "same",
  ports: [9090],
  volumes: [["prometheus-data", "/prometheus"]],
  memoryMiB: 2048,
  health: true,
});
const GRAFANA = service({
  name: "grafana",
  project: "monitoring",
  images: ["grafana/grafana:11.2.0"],
  user: "472",
  command: "/run.sh",
  publish: "same",
  ports: [3000],
  volumes: [["grafana-data", "/var/lib/grafana"]],
  memoryMiB: 512,
  health: true,
});
const TRAEFIK = service({
  name: "traefik",
  project: "proxy",
  images: ["traefik:v3.1"],
  user: null,
  command: "/entrypoint.sh traefik --providers.docker=true",
  publish: "same",
  ports: [80, 443],
  binds: [SOCKET_RO],
  memoryMiB: 256,
  health: true,
  readOnlyOk: true,
});
const FLUENT_BIT = service({
  name: "fluent-bit",
  project: "logging",
  images: ["fluent/fluent-bit:3.1"],
  user: null,
  command: "/fluent-bit/bin/fluent-bit -c /fluent-bit/etc/fluent-bit.conf",
  binds: [
    { source: "/var/lib/docker/containers", destination: "/var/lib/docker/containers", readOnly: true },
    { source: "/var/log", destination: "/var/log", readOnly: true },
  ],
  memoryMiB: 128,
});
const BACKUP = service({
  name: "restic",
  project: "backup",
  images: ["restic/restic:0.17.1"],
  user: null,
  command: "restic backup /source",
  binds: [
    { source: "/etc", destination: "/source/etc", readOnly: true },
    { source: "/var/lib/docker/volumes", destination: "/source/volumes", readOnly: true },
  ],
  memoryMiB: 512,
});
const PORTAINER = service({
  name: "portainer",
  standalone: true,
  images: ["portainer/portainer-ce:2.21.2"],
  user: null,
  command: "/portainer",
  publish: "same",
  ports: [9443],
  binds: [SOCKET_RW],
  volumes: [["portainer_data", "/data"]],
  memoryMiB: 256,
});
const WATCHTOWER = service({
  name: "watchtower",
  standalone: true,
  images: ["containrrr/watchtower:1.7.1"],
  user: null,
  command: "/watchtower --cleanup",
  binds: [SOCKET_RW],
  memoryMiB: 64,
});
const WIREGUARD = service({
  name: "wireguard",
  standalone: true,
  images: ["lscr.io/linuxserver/wireguard:1.0.20210914"],
  user: null,
  command: "/init",
  capAdd: ["NET_ADMIN", "SYS_MODULE"],
  publish: "same",
  udpPorts: [51820],
  binds: [{ source: "/lib/modules", destination: "/lib/modules", readOnly: true }],
  memoryMiB: 128,
});
const RCLONE = service({
  name: "rclone-mount",
  standalone: true,
  images: ["rclone/rclone:1.68"],
  user: null,
  command: "rclone mount remote:archive /mnt/archive --allow-other",
  capAdd: ["SYS_ADMIN"],
  devices: ["/dev/fuse"],
  apparmorUnconfined: true,
  binds: [{ source: "/mnt/archive", destination: "/mnt/archive", propagation: "rshared" }],
  memoryMiB: 256,
});
const NETSHOOT = service({
  name: "netshoot",
  standalone: true,
  images: ["nicolaka/netshoot:v0.13"],
  user: null,
  command: "sleep infinity",
  hostNetwork: true,
  hostPid: true,
  hostUts: true,
  capAdd: ["NET_ADMIN", "SYS_PTRACE"],
  seccompUnconfined: true,
  memoryMiB: 0,
});

/** Infrastructure groups and the share of engine hosts running each. */
export const INFRA: [Service[], number][] = [
  [[NODE_EXPORTER], 0.6],
  [[CADVISOR], 0.25],
  [[PROMETHEUS, GRAFANA], 0.06],
  [[TRAEFIK], 0.35],
  [[FLUENT_BIT], 0.2],
  [[BACKUP], 0.08],
  [[PORTAINER], 0.12],
  [[WATCHTOWER], 0.15],
  [[WIREGUARD], 0.04],
  [[RCLONE], 0.03],
  [[NETSHOOT], 0.03],
];
/** The first engine host of every customer shows each isolation finding, however small the demo. */
export const SHOWCASE_INFRA = [NODE_EXPORTER, CADVISOR, TRAEFIK, PORTAINER, WATCHTOWER, NETSHOOT];
