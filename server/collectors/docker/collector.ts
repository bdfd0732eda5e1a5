/**
 * The `docker` source: a Docker Engine (or Podman's Docker-compatible API) and everything on it,
 * as one snapshot: the engine host, every container in every state, every image with its layers.
 *
 * Fetching: GET /_ping (its Api-Version header, as the docker CLI negotiates; an engine older
 * than MIN_API_VERSION is refused), then with that version /containers/json?all=true and
 * /images/json, then at most `concurrency` (default 8) per-object requests at a time: one inspect
 * per container (on Podman its own /libpod inspect instead of the compatible one: the only place
 * Podman names the real OCI runtime), an inspect and a history per image; /info (and Docker's
 * /version) meanwhile. A container or image that disappears between the list and its inspect
 * (404) is skipped with a warning in the snapshot; any other failure fails the whole collection,
 * so ingest never replaces a good inventory with part of one.
 *
 * Normalising is in normalise.ts (pure, unit-tested on genuine Docker documents).
 */
import dns from "node:dns/promises";
import { setMaxListeners } from "node:events";
import net from "node:net";
import type { Collector } from "../types";
import type { SnapshotInput } from "../../inventory/snapshot";
import {
  containerDocument,
  containerListDocument,
  containerStatsDocument,
  imageDocument,
  imageHistoryDocument,
  imageListDocument,
  infoDocument,
  libpodContainerDocument,
  libpodImageDocument,
  versionDocument,
  type ContainerDocument,
  type ContainerListEntry,
  type ContainerStatsDocument,
  type ImageDocument,
  type ImageHistoryDocument,
} from "./api";
import {
  dockerSourceOptions,
  DockerEndpointError,
  engineConnection,
  type EngineConnection,
  type ParsedEndpoint,
} from "./endpoint";
import { mapLimit } from "../concurrency";
import type { UtilisationSeriesInput } from "../../utilisation/series";
import { containerUse, hasPreviousSample, type PreviousSample } from "./utilisation";
import { DockerCollectError, EngineClient, EngineNotFoundError } from "./engine";
import {
  compareApiVersions,
  containerState,
  fromLibpod,
  fromLibpodImage,
  normaliseContainer,
  normaliseHost,
  normaliseImage,
  parseApiVersion,
  pingFacts,
  type ContainerInput,
  type ImageInput,
} from "./normalise";

/** Docker 19.03: the first API with /info CgroupVersion and HostConfig.CgroupnsMode. */
export const MIN_API_VERSION = "1.40";
/** Docker 27: the newest API whose documents this collector was written against. */
export const MAX_API_VERSION = "1.47";

/**
 * Per-object requests (inspects, image histories) in flight at once, unless the source's
 * `concurrency` option says otherwise. The list, /info and /version come on top of them.
 */
export const DEFAULT_CONCURRENCY = 8;

/**
 * The longest one stats call may take: Docker answers stream=false at its next sampling cycle
 * (about 1 s, 2 s at worst); a container that does not answer in time gets no measured use.
 */
export const STATS_TIMEOUT_MS = 10_000;
/** The least time between two reads of a container whose engine sent no earlier sample (Podman). */
export const STATS_RESAMPLE_MS = 1_000;

const id12 = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);
const path = (id: string) => encodeURIComponent(id).replace(/%3A/gi, ":");

/** The engine host's own addresses that the endpoint tells (never loopback: it names no host). */
async function endpointAddresses(endpoint: ParsedEndpoint): Promise<string[]> {
  if (endpoint.kind !== "tcp") return [];
  const loopback = (ip: string) => ip.startsWith("127.") || ip === "::1" || ip === "localhost";
  if (net.isIP(endpoint.host)) return loopback(endpoint.host) ? [] : [endpoint.host];
  try {
    const found = await dns.lookup(endpoint.host, { all: true });
    return found.map((a) => a.address).filter((ip) => !loopback(ip));
  } catch {
    return [];
  }
}

function sourceOptions(options: Record<string, unknown>) {
  const parsed = dockerSourceOptions.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join(".")}: ${i.message}`).join("; ");
    throw new DockerEndpointError(`invalid docker source options: ${issues}`);
  }
  return parsed.data;
}

type Task =
  | { kind: "container"; entry: ContainerListEntry }
  | { kind: "image"; id: string };

type TaskResult =
  | { kind: "container"; entry: ContainerListEntry; doc: ContainerDocument; runtime: string | null }
  | { kind: "image"; doc: ImageDocument; history: ImageHistoryDocument }
  | { kind: "skipped"; warning: string };

/** A promise that never rejects (so it can wait while other work runs), and what it gave. */
function settle<T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

export const collectDocker: Collector = async (source, context) => {
  context.signal.throwIfAborted();
  const options = sourceOptions(source.options);
  // Every request in flight listens on the signal (twice: request and response): a signal of our
  // own, following the caller's, takes them all without Node's listener-leak warning.
  const controller = new AbortController();
  const forward = () => controller.abort(context.signal.reason);
  context.signal.addEventListener("abort", forward, { once: true });
  setMaxListeners(4 * (options.concurrency ?? DEFAULT_CONCURRENCY) + 16, controller.signal);
  const { signal } = controller;
  let connection: EngineConnection;
  try {
    connection = engineConnection(source.endpoint, options, source.secret);
  } catch (error) {
    if (error instanceof DockerEndpointError) throw new DockerEndpointError(`docker ${source.endpoint.replace(/\/\/[^@/]*@/, "//")}: ${error.message}`);
    throw error;
  }
  const collectedAt = new Date().toISOString();
  const bare = new EngineClient(connection, signal);
  try {
    const ping = pingFacts(await bare.ping());
    // An engine too old to send Api-Version on /_ping says it in /version.
    const apiVersion = ping.apiVersion ?? (await bare.get("/version", versionDocument, "GET /version")).ApiVersion;
    const api = parseApiVersion(apiVersion);
    if (!api) {
      throw new DockerCollectError(
        `docker ${connection.endpoint.display}: GET /_ping failed: the engine's API version "${apiVersion.slice(0, 40)}" is not a version`,
      );
    }
    if (compareApiVersions(api, parseApiVersion(MIN_API_VERSION)!) < 0) {
      throw new DockerCollectError(
        `docker ${connection.endpoint.display}: unsupported API version ${apiVersion} ` +
          `(${ping.server ?? "engine unknown"}): Fleetlens needs Engine API ${MIN_API_VERSION} (Docker 19.03) or newer`,
      );
    }
    const negotiated =
      compareApiVersions(api, parseApiVersion(MAX_API_VERSION)!) > 0 ? MAX_API_VERSION : `${api[0]}.${api[1]}`;
    const { podman } = ping;
    const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    const client = new EngineClient(connection, signal, negotiated, concurrency);

    const addressesPromise = endpointAddresses(connection.endpoint);
    const [containerList, imageList] = await Promise.all([
      client.get("/containers/json", containerListDocument, "GET /containers/json", { all: true }),
      client.get("/images/json", imageListDocument, "GET /images/json"),
    ]);
    // /info is slow on Podman (0.15-0.3 s: it runs conmon and the runtimes for their versions):
    // it runs beside the inspects, once the lists (which the inspects wait for) are in. So does
    // Docker's /version (its only news is the engine's git commit; Podman's is as slow as /info
    // and says nothing /info does not).
    const infoPromise = settle(client.get("/info", infoDocument, "GET /info"));
    const versionPromise = podman ? null : settle(client.get("/version", versionDocument, "GET /version"));

    // Every listed image, and the image of every container (which may be an untagged
    // intermediate image that the list leaves out).
    const imageIds = [...new Set([...imageList.map((i) => i.Id), ...containerList.map((c) => c.ImageID ?? "").filter(Boolean)])];
    const tasks: Task[] = [
      ...containerList.map((entry) => ({ kind: "container" as const, entry })),
      ...imageIds.map((id) => ({ kind: "image" as const, id })),
    ];
    const results = await mapLimit(tasks, concurrency, signal, async (task): Promise<TaskResult> => {
      if (task.kind === "container") {
        const { entry } = task;
        const name = entry.Names?.[0]?.replace(/^\//, "") ?? id12(entry.Id);
        try {
          if (podman) {
            // One request, not two: Podman's own inspect has what its Docker-compatible one has,
            // and the real runtime, which the compatible one hides behind "oci".
            const libpod = await client.getBounded(
              `/libpod/containers/${path(entry.Id)}/json`,
              libpodContainerDocument,
              `GET /libpod/containers/${id12(entry.Id)}/json`,
            );
            return { kind: "container", entry, ...fromLibpod(libpod) };
          }
          const doc = await client.getBounded(`/containers/${path(entry.Id)}/json`, containerDocument, `GET /containers/${id12(entry.Id)}/json`);
          return { kind: "container", entry, doc, runtime: null };
        } catch (error) {
          if (error instanceof EngineNotFoundError) {
            return { kind: "skipped", warning: `container ${name} (${id12(entry.Id)}) was removed between list and inspect: skipped` };
          }
          throw error;
        }
      }
      try {
        const [doc, history] = await Promise.all([
          // Podman's own image inspect: its Docker-compatible one leaves the HEALTHCHECK out.
          podman
            ? client
                .getBounded(`/libpod/images/${path(task.id)}/json`, libpodImageDocument, `GET /libpod/images/${id12(task.id)}/json`)
                .then(fromLibpodImage)
            : client.getBounded(`/images/${path(task.id)}/json`, imageDocument, `GET /images/${id12(task.id)}/json`),
          client.getBounded(`/images/${path(task.id)}/history`, imageHistoryDocument, `GET /images/${id12(task.id)}/history`),
        ]);
        return { kind: "image", doc, history };
      } catch (error) {
        if (error instanceof EngineNotFoundError) {
          return { kind: "skipped", warning: `image ${id12(task.id)} was removed between list and inspect: skipped` };
        }
        throw error;
      }
    });
    const unwrap = <T>(r: { value: T } | { error: unknown }): T => {
      if ("error" in r) throw r.error;
      return r.value;
    };
    const info = unwrap(await infoPromise);
    const version = versionPromise ? unwrap(await versionPromise) : null;
    const host = {
      ...normaliseHost(info, { podman, apiVersion: `${api[0]}.${api[1]}`, version }, {
        ipAddresses: await addressesPromise,
      }),
      // Not in the Engine API: the source says it, or it is not known.
      daemonNoNewPrivileges: options.daemonNoNewPrivileges ?? null,
    };

    const warnings: string[] = [];
    const images: ImageInput[] = [];
    for (const result of results) {
      if (result.kind === "skipped") warnings.push(result.warning);
      else if (result.kind === "image") {
        const { image, warning } = normaliseImage(result.doc, result.history, host.externalId);
        images.push(image);
        if (warning) warnings.push(warning);
      }
    }
    const presentImages = new Set(images.map((i) => i.externalId));
    const containers: ContainerInput[] = [];
    for (const result of results) {
      if (result.kind !== "container") continue;
      containers.push(
        normaliseContainer(result.doc, {
          hostExternalId: host.externalId,
          imageIds: presentImages,
          listEntry: result.entry,
          runtime: result.runtime,
          podman,
        }),
      );
    }
    let utilisation: UtilisationSeriesInput[] = [];
    if (options.stats) {
      const running = results.flatMap((r) =>
        r.kind === "container" && containerState(r.doc.State?.Status ?? r.entry.State) === "running" ? [r] : [],
      );
      const measured = await readUse(client, running, { concurrency, signal, podman, hostCpus: host.cpuCores || null });
      utilisation = measured.series;
      if (measured.warning) warnings.push(measured.warning);
    }
    const snapshot: SnapshotInput = { collectedAt, hosts: [host], virtualMachines: [], containers, images, utilisation, warnings };
    return snapshot;
  } catch (error) {
    if (error instanceof DockerCollectError || error instanceof DockerEndpointError) throw error;
    if (error instanceof EngineNotFoundError) {
      throw new DockerCollectError(
        `docker ${connection.endpoint.display}: ${error.what} failed: HTTP 404 (is this a Docker Engine API endpoint?)`,
      );
    }
    throw bare.failure("collecting", error);
  } finally {
    context.signal.removeEventListener("abort", forward);
  }
};

type RunningContainer = { entry: ContainerListEntry; doc: ContainerDocument };

/**
 * Measured use of the running containers: GET /containers/{id}/stats?stream=false for each, at
 * most `concurrency` at a time, each within STATS_TIMEOUT_MS. Docker sends the sample before
 * (precpu_stats, about 1 s earlier) with it; Podman's compatible API sends none, so such a
 * container is read once more, STATS_RESAMPLE_MS after its first read, and its CPU rate taken
 * between the two. A container whose stats fail, come malformed or give no CPU rate costs one
 * line of warning for all of them (with a count and the first reason), never the collection.
 */
async function readUse(
  client: EngineClient,
  running: RunningContainer[],
  settings: { concurrency: number; signal: AbortSignal; podman: boolean; hostCpus: number | null },
): Promise<{ series: UtilisationSeriesInput[]; warning: string | null }> {
  type Reading = { current: ContainerStatsDocument; previous: PreviousSample | null; at: number } | { error: string };
  const read = async (c: RunningContainer): Promise<{ doc: ContainerStatsDocument; at: number } | { error: string }> => {
    try {
      const doc = await client.get(
        `/containers/${path(c.doc.Id)}/stats`,
        containerStatsDocument,
        `GET /containers/${id12(c.doc.Id)}/stats`,
        { stream: false },
        STATS_TIMEOUT_MS,
      );
      return { doc, at: Date.now() };
    } catch (error) {
      if (settings.signal.aborted) throw error;
      if (error instanceof EngineNotFoundError) return { error: `${error.what}: not found (stopped or removed since the list)` };
      return { error: error instanceof Error ? error.message.replace(/^docker \S+: /, "") : String(error) };
    }
  };
  const first = await mapLimit(running, settings.concurrency, settings.signal, async (c): Promise<Reading> => {
    const r = await read(c);
    if ("error" in r) return r;
    return hasPreviousSample(r.doc)
      ? { current: r.doc, previous: { read: r.doc.preread, cpu: r.doc.precpu_stats }, at: r.at }
      : { current: r.doc, previous: null, at: r.at };
  });
  // No earlier sample in the answer (Podman, or a Docker one-shot): read again once, a second on.
  const readings = await mapLimit(first, settings.concurrency, settings.signal, async (r, i): Promise<Reading> => {
    if ("error" in r || r.previous) return r;
    const wait = r.at + STATS_RESAMPLE_MS - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const again = await read(running[i]!);
    if ("error" in again) return again;
    return { current: again.doc, previous: { read: r.current.read, cpu: r.current.cpu_stats }, at: again.at };
  });
  const series: UtilisationSeriesInput[] = [];
  const problems: string[] = [];
  readings.forEach((r, i) => {
    const c = running[i]!;
    const name = `${c.doc.Name?.replace(/^\//, "") || id12(c.doc.Id)} (${id12(c.doc.Id)})`;
    if ("error" in r) {
      problems.push(`${name}: ${r.error}`);
      return;
    }
    const use = containerUse(r.current, r.previous, {
      externalId: c.doc.Id,
      hostConfig: c.doc.HostConfig,
      startedAt: c.doc.State?.StartedAt,
      hostCpus: settings.hostCpus,
      systemCpu: settings.podman ? "used-time" : "host-time",
    });
    series.push(...use.series);
    if (use.problem) problems.push(`${name}: ${use.problem}`);
  });
  const warning =
    problems.length === 0
      ? null
      : `measured use: stats incomplete for ${problems.length} of ${running.length} running containers (${problems[0]!.slice(0, 300)}` +
        `${problems.length > 1 ? `; and ${problems.length - 1} more` : ""})`;
  return { series, warning };
}
