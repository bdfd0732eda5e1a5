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
import path from "node:path";
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
    expect(GUEST_COMMANDS.filter((c) => c.sudo).map((c) => c.id)).toEqual(["product-uuid", "listeners", "connections", "cron", "devices"]);
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

/**
 * The cron command on crontabs of our own, in a private mount namespace (unshare -m, root only): an
 * overlay on /etc adds /etc/crontab (Debian's, with its run-parts lines) and /etc/cron.d/app, a bind
 * mount on /var/spool gives a user crontab in a directory of mode 1730 as Debian's. Nothing outside the
 * namespace sees them.
 */
describe("cron counted on crontabs of our own", () => {
  const root = process.getuid?.() === 0 && spawnSync("unshare", ["-m", "true"]).status === 0;
  it.runIf(root)("counts jobs, not run-parts lines, comments or variables; users' crontabs need root", () => {
    const cron = GUEST_COMMANDS.find((c) => c.id === "cron")!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guest-cron-"));
    try {
      for (const d of ["up/cron.d", "work", "spool/cron/crontabs"]) fs.mkdirSync(path.join(dir, d), { recursive: true });
      fs.writeFileSync(
        path.join(dir, "up/crontab"),
        [
          "# /etc/crontab: system-wide crontab",
          "SHELL=/bin/sh",
          "PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin",
          "",
          "17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly",
          "25 6\t* * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }",
          "47 6\t* * 7\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.weekly; }",
          "52 6\t1 * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.monthly; }",
          "30 2 * * * root /usr/local/bin/nightly-export --password=hunter2",
          "",
        ].join("\n"),
      );
      fs.writeFileSync(path.join(dir, "up/cron.d/app"), "MAILTO=ops@example.com\n# every five minutes\n*/5 * * * * www-data php /srv/app/cron.php\n");
      fs.writeFileSync(path.join(dir, "spool/cron/crontabs/alice"), "# DO NOT EDIT THIS FILE\n0 1 * * * /home/alice/backup.sh\n@reboot /home/alice/start.sh\n");
      fs.chmodSync(path.join(dir, "spool/cron/crontabs"), 0o1730);
      const mount =
        `mount -t overlay overlay -o lowerdir=/etc,upperdir=${dir}/up,workdir=${dir}/work /etc && ` +
        `mount --bind ${dir}/spool /var/spool && `;
      const asRoot = spawnSync("unshare", ["-m", "sh", "-c", `${mount}sh -c "$0"`, cron.run], { encoding: "utf8" });
      const asNobody = spawnSync(
        "unshare",
        ["-m", "sh", "-c", `${mount}setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c "$0"`, cron.run],
        { encoding: "utf8" },
      );
      expect(asRoot.stderr).toBe("");
      const lines = asRoot.stdout.split("\n");
      expect(lines).toContain("count 1 /etc/crontab");
      expect(lines).toContain("count 1 /etc/cron.d/app");
      expect(lines).toContain("count 2 /var/spool/cron/crontabs/alice");
      // The machine's own cron.d files and cron.daily scripts count as they are.
      const own = (stdout: string) =>
        stdout
          .split("\n")
          .filter((l) => l.startsWith("count ") && !/ \/etc\/crontab$| \/etc\/cron\.d\/app$| \/var\/spool\//.test(l))
          .reduce((sum, l) => sum + Number(l.split(" ")[1]), 0);
      const at = new Date().toISOString();
      const facts = factsFromResults("x", [{ id: "cron", stdout: asRoot.stdout, exitCode: 0, problem: null, truncated: false }], at);
      expect(facts.cronJobs).toBe(own(asRoot.stdout) + 4);
      expect(asRoot.stdout).not.toContain("hunter2");

      const limited = factsFromResults("x", [{ id: "cron", stdout: asNobody.stdout, exitCode: 0, problem: null, truncated: false }], at);
      expect(limited.cronJobs).toBe(own(asNobody.stdout) + 2);
      expect(limited.unread).toContain("cron jobs: /var/spool/cron/crontabs not read (needs sudo)");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The DMI and SELinux/AppArmor commands on files of our own: in a private mount namespace, a tmpfs on
 * /sys/class, /sys/fs and /sys/module holds product_uuid (mode 0400, as the kernel makes it),
 * selinux/enforce and apparmor/parameters/enabled. As root the UUID is read, as nobody it is "needs
 * sudo"; the LSM states come through as the kernel writes them.
 */
describe("DMI UUID and LSM state on files of our own", () => {
  const root = process.getuid?.() === 0 && spawnSync("unshare", ["-m", "true"]).status === 0;
  it.runIf(root)("reads them as root, names the refusal as nobody", () => {
    const uuid = GUEST_COMMANDS.find((c) => c.id === "product-uuid")!;
    const security = GUEST_COMMANDS.find((c) => c.id === "security")!;
    const setup = [
      "mount -t tmpfs none /sys/class && mount -t tmpfs none /sys/fs && mount -t tmpfs none /sys/module",
      "mkdir -p /sys/class/dmi/id /sys/fs/selinux /sys/module/apparmor/parameters",
      "echo 4C4C4544-0042-3510-8052-B7C04F4D3232 > /sys/class/dmi/id/product_uuid && chmod 0400 /sys/class/dmi/id/product_uuid",
      "echo 0 > /sys/fs/selinux/enforce && echo Y > /sys/module/apparmor/parameters/enabled",
    ].join(" && ");
    const inNamespace = (as: string, run: string) =>
      spawnSync("unshare", ["-m", "sh", "-c", `${setup} && ${as} sh -c "$0"`, run], { encoding: "utf8" }).stdout;
    const nobody = "setpriv --reuid=nobody --regid=nogroup --clear-groups";
    const at = new Date().toISOString();
    const result = (id: string, stdout: string) => ({ id, stdout, exitCode: 0, problem: null, truncated: false });

    const asRoot = factsFromResults("x", [result("product-uuid", inNamespace("", uuid.run)), result("security", inNamespace("", security.run))], at);
    expect(asRoot.productUuid).toBe("4c4c4544-0042-3510-8052-b7c04f4d3232");
    expect(asRoot.security).toEqual({ selinux: "permissive", apparmor: "enabled" });

    const asNobody = factsFromResults("x", [result("product-uuid", inNamespace(nobody, uuid.run)), result("security", inNamespace(nobody, security.run))], at);
    expect(asNobody.productUuid).toBeNull();
    expect(asNobody.unread).toContain("DMI product UUID: needs sudo (readable by root only)");
    expect(asNobody.security).toEqual({ selinux: "permissive", apparmor: "enabled" });
  });
});
