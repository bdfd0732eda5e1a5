/**
 * The remote collector's command line and loop (server/cli/push.ts): which flags it takes and
 * refuses, intervals, how a push answer is read, and the --every loop's behaviour on transient
 * failures, refusals, failed collections and a stop signal (with a clock of its own, no waiting).
 */
import { describe, expect, it } from "vitest";
import { UsageError } from "../../server/cli/args";
import { parseInterval, PushError, pushLoop, pushSnapshot, splitPushArgs, tokenFrom, type PushAnswer } from "../../server/cli/push";

const ID = "0b7e0a52-1d3c-4b59-9c57-4ad0e3a6f2aa";

describe("splitPushArgs", () => {
  it("takes the push flags out and leaves the kind's own", () => {
    const { push, rest } = splitPushArgs(["demo", "demo:acme", "--vms", "3", "--push", "https://fleet.example.com/", "--source", ID.toUpperCase(), "--token-env=FLK", "--every", "1h"]);
    expect(rest).toEqual(["demo", "demo:acme", "--vms", "3"]);
    expect(push).toEqual({ url: "https://fleet.example.com", sourceId: ID, tokenEnv: "FLK", everyMs: 3_600_000 });
    expect(splitPushArgs(["demo", "demo:acme", "--json"])).toEqual({ push: null, rest: ["demo", "demo:acme", "--json"] });
  });

  it("refuses a push missing a part, a token on the command line, and --json with --push", () => {
    const base = ["demo", "demo:acme", "--push", "https://f.example", "--source", ID, "--token-env", "FLK"];
    expect(() => splitPushArgs(base)).not.toThrow();
    const cases: Array<[string[], RegExp]> = [
      [["demo", "x", "--source", ID], /--source goes with --push/],
      [["demo", "x", "--push", "https://f.example", "--token-env", "FLK"], /--source: the source's id/],
      [["demo", "x", "--push", "https://f.example", "--source", "12", "--token-env", "FLK"], /--source: the source's id/],
      [["demo", "x", "--push", "https://f.example", "--source", ID], /--token-env: name the environment variable/],
      [["demo", "x", "--push", "https://f.example", "--source", ID, "--token-env", "flk_abcdef-123"], /--token-env: name the environment variable/],
      [["demo", "x", "--push", "ftp://f.example", "--source", ID, "--token-env", "FLK"], /--push ftp:\/\/f.example: say Fleetlens' address/],
      [["demo", "x", "--push", "--source", ID], /--push needs a value/],
      [[...base, "--json"], /--json prints the snapshot, --push sends it/],
      [[...base, "--every", "30s"], /at least 1m/],
      [[...base, "--every", "soon"], /say an interval such as 15m/],
    ];
    for (const [argv, message] of cases) expect(() => splitPushArgs(argv), argv.join(" ")).toThrow(message);
    for (const [argv] of cases) expect(() => splitPushArgs(argv)).toThrow(UsageError);
  });

  it("reads intervals in s, m, h, d", () => {
    expect([parseInterval("90s"), parseInterval("15m"), parseInterval("1h"), parseInterval("1d"), parseInterval("120")]).toEqual([90_000, 900_000, 3_600_000, 86_400_000, 120_000]);
  });

  it("reads the token from the named variable only, and only a Fleetlens token", () => {
    expect(tokenFrom({ FLK: " flk_abc " }, "FLK")).toBe("flk_abc");
    expect(() => tokenFrom({}, "FLK")).toThrow(/FLK is not set/);
    expect(() => tokenFrom({ FLK: "hunter2" }, "FLK")).toThrow(/does not hold a Fleetlens API token/);
  });
});

describe("pushSnapshot", () => {
  const options = { url: "https://f.example", sourceId: ID, tokenEnv: "FLK" };
  const answering = (status: number, body: string) =>
    (async (input: string | URL | Request, init?: RequestInit) => {
      expect(String(input)).toBe(`https://f.example/api/sources/${ID}/snapshot`);
      expect(new Headers(init?.headers).get("authorization")).toBe("Bearer flk_t");
      return new Response(body, { status });
    }) as typeof fetch;

  it("returns the run and an absolute poll URL on 202; tells transient failures from refusals", async () => {
    const ok = await pushSnapshot(options, "flk_t", "{}", { fetch: answering(202, JSON.stringify({ runId: "r1", poll: `/api/sources/${ID}/snapshot?run=r1` })) });
    expect(ok).toEqual({ runId: "r1", poll: `https://f.example/api/sources/${ID}/snapshot?run=r1` });
    const failures: Array<[number, boolean]> = [[400, false], [401, false], [403, false], [404, false], [409, false], [413, false], [408, true], [429, true], [500, true], [503, true]];
    for (const [status, transient] of failures) {
      const error = await pushSnapshot(options, "flk_t", "{}", { fetch: answering(status, "why") }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PushError);
      expect([(error as PushError).status, (error as PushError).transient]).toEqual([status, transient]);
      expect((error as PushError).message).toMatch(new RegExp(`answered ${status}: why`));
    }
    const unreachable = (await pushSnapshot(options, "flk_t", "{}", {
      fetch: (async () => {
        throw new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } });
      }) as typeof fetch,
    }).catch((e: unknown) => e)) as PushError;
    expect([unreachable.transient, unreachable.message]).toEqual([true, "could not reach https://f.example: ECONNREFUSED"]);
  });
});

describe("pushLoop", () => {
  it("retries a transient failure with growing backoff, skips to the next collection after a refusal or a failed collection, and stops on abort", async () => {
    // Real timers with tiny intervals: the loop's clock is Date.now.
    const log: string[] = [];
    const controller = new AbortController();
    const answers: Array<PushAnswer | PushError> = [
      new PushError("answered 503", true, 503),
      new PushError("could not reach", true),
      { runId: "r1", poll: "p1" },
      new PushError("answered 401", false, 401),
      { runId: "r2", poll: "p2" },
    ];
    const collected: Array<string | Error> = ["a", "b", new Error("vCenter unreachable"), "c"];
    let pushesSeen = 0;
    const done = pushLoop({
      everyMs: 400,
      backoffMs: 20,
      maxBackoffMs: 1_000,
      signal: controller.signal,
      log: (line) => log.push(line),
      collect: async () => {
        const next = collected.shift();
        if (next === undefined) {
          controller.abort();
          throw new Error("stopped");
        }
        if (next instanceof Error) throw next;
        return next;
      },
      push: async (body) => {
        pushesSeen++;
        const next = answers.shift()!;
        if (next instanceof PushError) throw next;
        expect(body).toBe(next.runId === "r1" ? "a" : "c");
        return next;
      },
    });
    const pushed = await done;
    expect(pushed).toBe(2);
    expect(pushesSeen).toBe(5);
    expect(log).toEqual([
      "push failed: answered 503; retrying in 20 ms",
      "push failed: could not reach; retrying in 40 ms",
      "pushed: run r1 queued (p1)",
      "push refused: answered 401; next collection at its time",
      "collection failed: vCenter unreachable; next attempt in 0 min",
      "pushed: run r2 queued (p2)",
    ]);
  }, 10_000);

  it("gives up on a snapshot when a retry would run past the next collection, then collects anew", async () => {
    const log: string[] = [];
    const controller = new AbortController();
    let collections = 0;
    const pushed = await pushLoop({
      everyMs: 300,
      backoffMs: 50,
      signal: controller.signal,
      log: (line) => log.push(line),
      collect: async () => {
        if (++collections > 2) controller.abort();
        return `snapshot ${collections}`;
      },
      push: async () => {
        throw new PushError("answered 502", true, 502);
      },
    });
    expect(pushed).toBe(0);
    // Per snapshot: retried after 50 ms and 100 ms (doubling), then 200 ms more would pass the next collection.
    const first = log.slice(0, 3);
    expect(first).toEqual([
      "push failed: answered 502; retrying in 50 ms",
      "push failed: answered 502; retrying in 100 ms",
      "push failed: answered 502; giving up on this snapshot, a new one is collected at its time",
    ]);
    expect(log.filter((l) => l.includes("giving up"))).toHaveLength(2);
  }, 10_000);
});
