/**
 * The guest command set (server/collectors/guest/commands.ts) as shell text: every command parses in
 * dash (Debian's sh) and busybox sh, is bounded (timeout, output), and read-only by construction (no
 * redirection into a file, no command that changes anything). Then the whole set run by sh on THIS
 * machine, wrapped as the SSH runner sends it (withGuestTimeout), reads back what Node's os module says
 * about it (whatever machine the tests run on).
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { GUEST_COMMANDS } from "../../server/collectors/guest/commands";
import { guestFacts, type CommandResult } from "../../server/collectors/guest/facts";
import { factsFromResults } from "../../server/collectors/guest/parse";
import { withGuestTimeout } from "../../server/collectors/guest/ssh";

const hasBusybox = fs.existsSync("/bin/busybox");

describe("the command set", () => {
  it.each(GUEST_COMMANDS.map((c) => [c.id, c] as const))("%s parses in dash and busybox sh, bounded", (_, command) => {
    expect(spawnSync("sh", ["-n", "-c", command.run]).status).toBe(0);
    if (hasBusybox) expect(spawnSync("/bin/busybox", ["sh", "-n", "-c", command.run]).status).toBe(0);
    expect(command.timeoutMs).toBeGreaterThan(0);
    expect(command.timeoutMs).toBeLessThanOrEqual(20_000);
    expect(command.maxBytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    // Read-only: output only to stdout or /dev/null; nothing that writes, kills or installs.
    const redirections = [...command.run.matchAll(/\d?>>?\s*([^\s;&|)]+)/g)].map((m) => m[1]);
    expect(redirections.every((target) => target === "/dev/null" || target === "&1")).toBe(true);
    expect(command.run).not.toMatch(/\b(rm|mv|cp|tee|dd|kill|pkill|reboot|shutdown|apt|apt-get|yum|dnf|mkdir|touch|chmod|chown)\b/);
    // Shell text as written, never a TypeScript interpolation gone wrong.
    expect(command.run).not.toContain("undefined");
  });

  it("asks for sudo exactly where root alone may read", () => {
    expect(GUEST_COMMANDS.filter((c) => c.sudo).map((c) => c.id)).toEqual(["product-uuid", "listeners", "connections", "cron"]);
  });

  it("ids are unique", () => {
    expect(new Set(GUEST_COMMANDS.map((c) => c.id)).size).toBe(GUEST_COMMANDS.length);
  });
});

describe("run on this machine", () => {
  it("reads back what the machine is", { timeout: 60_000 }, () => {
    const results: CommandResult[] = GUEST_COMMANDS.map((command) => {
      const run = spawnSync("sh", ["-c", withGuestTimeout(command)], { encoding: "utf8", timeout: command.timeoutMs, maxBuffer: command.maxBytes });
      return { id: command.id, stdout: run.stdout ?? "", exitCode: run.status, problem: null, truncated: false };
    });
    const facts = factsFromResults("local", results, new Date().toISOString());
    expect(guestFacts.safeParse(facts).success).toBe(true);

    expect(facts.hostname).toBe(os.hostname());
    expect(facts.cpuCount).toBe(os.cpus().length);
    expect(facts.cpuBusyPercent).not.toBeNull();
    expect(facts.memory.totalMiB).toBeCloseTo(os.totalmem() / 1024 / 1024, 0);
    expect(facts.os.architecture).toBe(execFileSync("uname", ["-m"], { encoding: "utf8" }).trim());
    expect(facts.os.kernel).toBe(os.release());
    expect(facts.uptimeSeconds).toBeGreaterThan(0);
    const release = fs.readFileSync("/etc/os-release", "utf8");
    expect(facts.os.id).toBe(/^ID=(.*)$/m.exec(release)![1]!.replace(/"/g, ""));
    if (fs.existsSync("/etc/machine-id")) expect(facts.machineId).toBe(fs.readFileSync("/etc/machine-id", "utf8").trim());
    const macs = Object.values(os.networkInterfaces())
      .flat()
      .map((i) => i!.mac)
      .filter((mac) => mac !== "00:00:00:00:00:00");
    for (const mac of macs) expect(facts.macAddresses).toContain(mac);
    // This very process (vitest's worker) is among the processes, with its command line.
    expect(facts.processes.find((p) => p.pid === process.pid)?.command).toContain("node");
    expect(facts.filesystems.find((f) => f.mountPoint === "/")).toBeDefined();
    expect(facts.warnings).toEqual([]);
  });
});
