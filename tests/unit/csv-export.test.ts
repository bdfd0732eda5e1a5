/**
 * The CSV streaming helper: formula neutralisation (OWASP CSV injection), RFC 4180 quoting,
 * numbers kept as numbers, the BOM, file names, and the export's filter parsing.
 */
import { describe, expect, it } from "vitest";
import { analyse } from "../../server/analysis/index";
import { inventoryFromSnapshots } from "../../server/analysis/inventory";
import { DEFAULT_PARAMETERS } from "../../server/analysis/parameters";
import { RULES_BY_ID } from "../../server/analysis/rules";
import { findingFilterSchema, findingRows, verdictRows } from "../../server/analysis/views";
import { csvResponse, csvStream, exportFilename, fileSlug, neutraliseFormula, type CsvCell, type CsvColumn } from "../../server/export/csv";
import { evidenceText, FINDING_CSV_COLUMNS, parseExportFilter, VERDICT_CSV_COLUMNS } from "../../server/export/tables";
import { parseSnapshot } from "../../server/inventory/snapshot";

const BOM = "\uFEFF";
const one: CsvColumn<{ value: CsvCell }>[] = [{ header: "Value", cell: (r) => r.value }];

/** The whole stream as text, BOM included (TextDecoder would drop it unless told not to). */
async function read(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(await new Response(stream).arrayBuffer());
}

/** The one data line a single-cell CSV holds for this value. */
async function cellOf(value: CsvCell): Promise<string> {
  const text = await read(csvStream([{ value }], one));
  expect(text.startsWith(`${BOM}Value\n`)).toBe(true);
  return text.slice(`${BOM}Value\n`.length).replace(/\n$/, "");
}

describe("formula neutralisation", () => {
  it.each([
    ["=", "=HYPERLINK(\"http://x\",\"y\")", `"'=HYPERLINK(""http://x"",""y"")"`],
    ["+", "+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"],
    ["-", "-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"],
    ["@", "@SUM(1)", "'@SUM(1)"],
    ["tab", "\t=1+1", "'\t=1+1"],
    ["carriage return", "\r=1+1", `"'\r=1+1"`],
    ["full-width =", "\uFF1D1+1", "'\uFF1D1+1"],
    ["a leading space before =", " =1+1", "' =1+1"],
    ["a space before a letter", " web-1", " web-1"],
    ["= in the middle", "a=1+1", "a=1+1"],
    ["plain text", "web-1", "web-1"],
    ["the number -5", -5, "-5"],
    ["the number -160", -160, "-160"],
    ["a fraction", 0.25, "0.25"],
    ["zero", 0, "0"],
    ["the string \"-5\"", "-5", "'-5"],
    ["an empty string", "", ""],
    ["null", null, ""],
    ["undefined", undefined, ""],
  ] as const)("%s", async (_name, value, expected) => {
    expect(await cellOf(value)).toBe(expected);
  });

  it("neutraliseFormula touches only strings whose first character that counts is a trigger", () => {
    for (const c of ["=", "+", "-", "@", "\t", "\r"]) expect(neutraliseFormula(`${c}x`)).toBe(`'${c}x`);
    // A quote is skipped like whitespace (an import may take it as a text delimiter).
    expect(neutraliseFormula("'=quoted")).toBe("''=quoted");
    expect(neutraliseFormula("")).toBe("");
    expect(neutraliseFormula("x=")).toBe("x=");
  });
});

describe("formula neutralisation after leading whitespace and quotes (security report L1)", () => {
  // The 13 cells that reached the report's CSV unneutralised (LibreOffice with "Trim spaces" and
  // "Evaluate formulas" ran them), and the same tricks with the other triggers.
  const REPORTED = [
    " =1+1",
    "  +1+1",
    "\u3000=1+1",
    "\n=1+1",
    "\"=1+1",
    " =1+1, SYS_ADMIN",
    "\u00A0=1+1",
    " -1+1",
    " @SUM(1+1)",
    "\n @SUM(1)",
    "\n\n+1+1",
    "\" =1+1\"",
    "\u00A0\u00A0-2+3+cmd|' /C calc'!A0",
  ];
  const MORE = [
    "\u201C=1+1", // typographic quotes
    "\u2018+1+1",
    "\uFF02=1+1", // full-width quote
    " \uFF1D1+1", // space, then a full-width =
    "\u3000\uFF0B1+1",
    "\uFE62" + "1+1", // small form of +
    "\u2003=1+1", // em space
    "\u202F@SUM(1)", // narrow no-break space
    "\uFEFF=1+1", // a byte order mark
    "\u200B=1+1", // a zero-width space
    "\v\f=1+1",
    " \t=1+1", // a tab after a space
    "\r\n=1+1",
    "'\"' =HYPERLINK(\"http://x\")",
  ];

  it.each([...REPORTED, ...MORE])("neutralises %j", async (value) => {
    expect(neutraliseFormula(value)).toBe(`'${value}`);
    // In the file, the cell (quoted or not) starts with the apostrophe.
    expect(await cellOf(value)).toMatch(/^"?'/);
  });

  it("has the report's 13 cells", () => {
    expect(new Set(REPORTED).size).toBe(13);
  });

  it.each([
    ["text after a space", " web-1"],
    ["a trigger later in the text", "a =1+1"],
    ["only whitespace", " \u3000\u00A0"],
    ["only quotes", "\"\"''"],
    ["a quoted word", "\"web\""],
    ["a figure after a space", " 1+1"],
    ["an ideographic space before a letter", "\u3000web"],
  ])("leaves %s alone", (_name, value) => {
    expect(neutraliseFormula(value)).toBe(value);
  });

  it("keeps numbers as numbers", async () => {
    expect(await cellOf(-160)).toBe("-160");
    expect(await cellOf(1e-7)).toBe("1e-7");
  });
});

describe("quoting", () => {
  it.each([
    ["a comma", "a,b", `"a,b"`],
    ["a quote", `say "hi"`, `"say ""hi"""`],
    ["a newline", "line 1\nline 2", `"line 1\nline 2"`],
    ["CR LF inside", "a\r\nb", `"a\r\nb"`],
    ["accents", "Société Müller", "Société Müller"],
    ["a semicolon (not the delimiter)", "a; b", "a; b"],
  ] as const)("%s", async (_name, value, expected) => {
    expect(await cellOf(value)).toBe(expected);
  });
});

describe("csvStream", () => {
  const columns: CsvColumn<{ name: string; ram: number; host: string | null }>[] = [
    { header: "Workload", cell: (r) => r.name },
    { header: "RAM saved (MiB)", cell: (r) => r.ram },
    { header: "Host", cell: (r) => r.host },
  ];

  it("writes the BOM, the header row and one line per row, numbers as numbers", async () => {
    const text = await read(csvStream([{ name: "=a", ram: -160, host: null }, { name: "b,c", ram: 42, host: "esx01" }], columns));
    expect(text).toBe(`${BOM}Workload,RAM saved (MiB),Host\n'=a,-160,\n"b,c",42,esx01\n`);
  });

  it("writes the header row even without rows", async () => {
    expect(await read(csvStream([], columns))).toBe(`${BOM}Workload,RAM saved (MiB),Host\n`);
  });

  it("reads an async source lazily, as the consumer pulls", async () => {
    let produced = 0;
    async function* rows() {
      for (let i = 0; i < 100_000; i++) {
        produced++;
        yield { name: `w${i}`, ram: i, host: null };
      }
    }
    const reader = csvStream(rows(), columns).getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    // Only a bounded read-ahead, not the whole source.
    expect(produced).toBeLessThan(5_000);
    await reader.cancel();
  });

  it("fails the stream when the source fails", async () => {
    async function* rows() {
      yield { name: "a", ram: 1, host: null };
      throw new Error("database went away");
    }
    await expect(read(csvStream(rows(), columns))).rejects.toThrow("database went away");
  });

  it("csvResponse sets the download headers", async () => {
    const response = csvResponse([{ name: "a", ram: 1, host: null }], columns, "acme-verdicts-2026-11-01.csv");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="acme-verdicts-2026-11-01.csv"');
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.text()).toContain("Workload");
  });
});

describe("file names", () => {
  it.each([
    ["Acme", "acme"],
    ["Société Générale", "societe-generale"],
    ['Evil"; filename="x.exe', "evil-filename-x-exe"],
    ["../../etc/passwd", "etc-passwd"],
    ["\r\nSet-Cookie: a=b", "set-cookie-a-b"],
    ["日本", "customer"],
    ["", "customer"],
  ])("%j → %s", (name, slug) => {
    expect(fileSlug(name)).toBe(slug);
    expect(fileSlug(name)).toMatch(/^[a-z0-9-]+$/);
  });

  it("names the table and the day", () => {
    expect(exportFilename("Acme Corp", "verdicts", new Date("2026-11-01T23:30:00Z"))).toBe("acme-corp-verdicts-2026-11-01.csv");
  });
});

describe("export filters", () => {
  it("read the page's query string with the tRPC schemas' defaults", () => {
    const parsed = parseExportFilter("verdicts", new URLSearchParams("kind=vm&verdict=to-container&search=app&sort=name&dir=asc"));
    expect(parsed).toEqual({ ok: true, filter: { kind: "vm", verdict: "to-container", search: "app", sort: { column: "name", direction: "asc" } } });
    expect(parseExportFilter("verdicts", new URLSearchParams("role=appliance&sort=role"))).toMatchObject({ ok: true, filter: { role: "appliance", sort: { column: "role" } } });
    expect(parseExportFilter("findings", new URLSearchParams(""))).toEqual({ ok: true, filter: { search: "", sort: { column: "severity", direction: "asc" } } });
    expect(parseExportFilter("findings", new URLSearchParams("severity=critical&ruleId=CIS-Docker-5.4"))).toMatchObject({ ok: true, filter: { severity: "critical", ruleId: "CIS-Docker-5.4" } });
  });

  it("name the bad parameter", () => {
    const bad = parseExportFilter("verdicts", new URLSearchParams("verdict=maybe"));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/^invalid filter: verdict: /);
    // A role's label is not its value: the query string takes the value.
    const role = parseExportFilter("verdicts", new URLSearchParams("role=Vendor%20appliance"));
    if (!role.ok) expect(role.error).toMatch(/^invalid filter: role: /);
    else expect.unreachable("role=Vendor appliance should be refused");
    const dir = parseExportFilter("findings", new URLSearchParams("dir=sideways"));
    if (!dir.ok) expect(dir.error).toMatch(/dir: /);
    else expect.unreachable("dir=sideways should be refused");
  });
});

/** RFC 4180 records of a CSV text (BOM first): quoted fields with commas, quotes and newlines. */
function records(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = text.startsWith(BOM) ? 1 : 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && (c === "," || c === "\n")) {
      row.push(field);
      field = "";
      if (c === "\n") {
        rows.push(row);
        row = [];
      }
    } else {
      field += c;
    }
  }
  return rows;
}

describe("verdict and finding CSV: role, fit, evidence and upstream ids, from a real analysis", () => {
  // One small estate: an Aria Operations appliance (OVF product), a template, general Ubuntu VMs (one
  // whose name says vCSA but whose OS says otherwise, one with a formula for a name, one with SR-IOV)
  // and a privileged container on a Docker engine.
  const snapshot = parseSnapshot({
    collectedAt: "2026-11-01T10:00:00.000Z",
    hosts: [
      { externalId: "h1", name: "esx01", role: "hypervisor", platform: "esxi", cpuCores: 16, memoryMiB: 131072, cluster: "c1" },
      { externalId: "e1", name: "docker01", role: "container-engine", platform: "docker", cpuCores: 4, memoryMiB: 16384, runtimes: ["runc"] },
    ],
    virtualMachines: [
      {
        externalId: "vm-1", name: "vrops-01", hostExternalId: "h1", powerState: "poweredOn", vcpus: 4, memoryMiB: 16384,
        guestOsId: "vmwarePhoton64Guest", guestOsFamily: "linux", product: { name: "VMware Aria Operations", vendor: "VMware Inc.", version: "8.18" },
      },
      { externalId: "vm-2", name: "app-01", hostExternalId: "h1", powerState: "poweredOn", vcpus: 2, memoryMiB: 4096, provisionedMiB: 40960, guestOsId: "ubuntu64Guest", guestOsReported: "Ubuntu 22.04.4 LTS", guestOsFamily: "linux", usbController: true },
      { externalId: "vm-3", name: "tpl-ubuntu", hostExternalId: "h1", powerState: "poweredOff", template: true, vcpus: 2, memoryMiB: 2048, guestOsId: "ubuntu64Guest", guestOsFamily: "linux" },
      { externalId: "vm-4", name: "=cmd|' /C calc'!A0", hostExternalId: "h1", powerState: "poweredOn", vcpus: 2, memoryMiB: 4096, guestOsId: "ubuntu64Guest", guestOsFamily: "linux" },
      { externalId: "vm-5", name: "vcsa-test", hostExternalId: "h1", powerState: "poweredOn", vcpus: 2, memoryMiB: 4096, guestOsId: "ubuntu64Guest", guestOsFamily: "linux" },
      { externalId: "vm-6", name: "nfv-01", hostExternalId: "h1", powerState: "poweredOn", vcpus: 2, memoryMiB: 4096, guestOsId: "ubuntu64Guest", guestOsFamily: "linux", sriov: true },
    ],
    containers: [{ externalId: "c1", name: "priv", hostExternalId: "e1", image: "nginx:1.27", state: "running", privileged: true }],
  });
  const analysis = analyse(inventoryFromSnapshots([{ snapshot, customer: "acme", prefix: "p" }]), DEFAULT_PARAMETERS);
  const verdicts = (query = "") => {
    const parsed = parseExportFilter("verdicts", new URLSearchParams(query));
    if (!parsed.ok) throw new Error(parsed.error);
    return verdictRows(analysis, parsed.filter);
  };
  const csvOf = async <T,>(rows: T[], columns: readonly CsvColumn<T>[]) => {
    const [head, ...body] = records(await read(csvStream(rows, columns)));
    return body.map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i]!])));
  };

  it("has the role, role evidence, fit and evidence columns", async () => {
    const [head] = records(await read(csvStream([], VERDICT_CSV_COLUMNS)));
    expect(head).toEqual([
      "Workload", "Kind", "Role", "Role evidence", "Verdict", "Why", "Fit", "Evidence", "Host", "Cluster", "Tenant", "Guest OS",
      "Isolation", "RAM saved (MiB)", "Disk saved (MiB)", "CPU saved (millicores)", "Findings",
    ]);
  });

  it("says what each VM is, on what evidence, and how far its fit is graded", async () => {
    const rows = await csvOf(verdicts("sort=name&dir=asc"), VERDICT_CSV_COLUMNS);
    const byName = new Map(rows.map((r) => [r.Workload, r]));
    // A template is not a workload: not a row of the verdicts.
    expect(byName.has("tpl-ubuntu")).toBe(false);
    expect(byName.get("vrops-01")).toMatchObject({
      Role: "Vendor appliance",
      Verdict: "Stay a VM",
      Fit: "No fit",
      "Role evidence": "product = VMware Inc. | VMware Aria Operations | 8.18 (strong); name = vrops-01 (weak)",
    });
    // Configuration only: a candidate whose fit cannot be graded until guest discovery runs.
    const app = byName.get("app-01")!;
    expect(app).toMatchObject({
      Role: "General workload",
      Verdict: "Move to a container: candidate, needs guest discovery",
      Fit: "Insufficient data",
      "Role evidence": "guestOsId = ubuntu64Guest (moderate)",
    });
    expect(app.Evidence).toBe("configuration: guestOsId = ubuntu64Guest (moderate); guest discovery: processes, listeners, packages = not collected (missing)");
    // Near miss: a vCSA-like name on Ubuntu is listed, but as set aside, not as what decided the role.
    expect(byName.get("vcsa-test")).toMatchObject({ Role: "General workload", "Role evidence": "guestOsId = ubuntu64Guest (moderate); name = vcsa-test (weak; points to Vendor appliance, set aside)" });
    // A container has no role and no fit; its evidence is what its engine says.
    expect(byName.get("priv")).toMatchObject({ Kind: "container", Role: "", "Role evidence": "", Fit: "", Evidence: "container engine: runtime = default (strong); container engine: state = running (strong)" });
    // The formula-like name stays text.
    expect(rows.some((r) => r.Workload === "'=cmd|' /C calc'!A0")).toBe(true);
  });

  it("filters on role: appliances only, and a general workload is no appliance", async () => {
    const appliances = await csvOf(verdicts("role=appliance"), VERDICT_CSV_COLUMNS);
    expect(appliances.map((r) => r.Workload)).toEqual(["vrops-01"]);
    const general = verdicts("role=general").map((r) => r.name);
    expect(general).toContain("vcsa-test");
    expect(general).not.toContain("vrops-01");
    // Containers have no role: any role filter leaves them out.
    expect(general).not.toContain("priv");
    expect(verdicts("role=template")).toEqual([]);
  });

  it("finds a role by its label and sorts on it", () => {
    expect(verdicts("search=vendor%20appl").map((r) => r.name)).toEqual(["vrops-01"]);
    const sorted = verdicts("kind=vm&sort=role&dir=asc").map((r) => r.roleLabel);
    expect(sorted).toEqual([...sorted].sort((a, b) => a!.localeCompare(b!)));
    expect(sorted.at(-1)).toBe("Vendor appliance");
  });

  it("writes each finding's upstream id, source URL and deviation", async () => {
    const rows = await csvOf(findingRows(analysis, findingFilterSchema.parse({})), FINDING_CSV_COLUMNS);
    const row = (workload: string, rule: string) => rows.find((r) => r.Workload === workload && r.Rule === rule);
    expect(row("priv", "CIS-Docker-5.5")).toMatchObject({
      "Upstream id": "5.5",
      "Source URL": "https://github.com/docker/docker-bench-security/blob/v1.6.1/tests/5_container_runtime.sh",
      Deviation: "",
    });
    // Where we deliberately differ from Forklift (SR-IOV sends the VM to Kata), the deviation is in the file.
    const sriov = RULES_BY_ID.get("vmware.device.sriov.detected")!;
    expect(sriov.deviation).toBeTruthy();
    expect(row("nfv-01", "vmware.device.sriov.detected")).toMatchObject({ "Upstream id": "vmware.device.sriov.detected", "Source URL": sriov.sourceUrl, Deviation: sriov.deviation });
    // Near miss: the USB controller rule does as Forklift does: no deviation.
    expect(row("app-01", "vmware.usb_controller.detected")).toMatchObject({ "Upstream id": "vmware.usb_controller.detected", Deviation: "" });
  });

  it("formats evidence as field = value (strength)", () => {
    const e = { source: "name", field: "name", value: "vcsa-01", strength: "weak", supports: "appliance", note: null } as const;
    expect(evidenceText(e)).toBe("name = vcsa-01 (weak)");
    expect(evidenceText(e, "appliance")).toBe("name = vcsa-01 (weak)");
    expect(evidenceText(e, "general")).toBe("name = vcsa-01 (weak; points to Vendor appliance, set aside)");
  });
});
