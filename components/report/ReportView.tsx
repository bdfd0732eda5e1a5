"use client";
/**
 * The customer report as a document (issue 18): what the server's report holds (report.get), laid
 * out for reading on screen, printing (print CSS: A4, no navigation, each section on its own page,
 * table rows kept whole, light colours whatever the screen's) and the server's PDF, which is this
 * very page printed by Chromium (app/api/report/[customerId]/route.ts). No figure is computed here.
 */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { useTRPC } from "@/lib/trpc";
import { VERDICT_SHORT } from "@/server/analysis/labels";
import type { Report } from "@/server/report/build";
import { customerHref, reportHref } from "../links";
import { errorCode } from "../errors";
import { formatBytes, formatCount, formatMiB, MISSING, pluralize } from "../format";
import { buttonClasses } from "../ui/Button";
import { LoadingBlock } from "../ui/Spinner";
import { QueryError } from "../ui/ErrorMessage";
import { EmptyState } from "../ui/EmptyState";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const day = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
const time = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC" });

/** "6 December 2026" (UTC, so that the PDF made on the server says what the screen says). */
export function reportDay(iso: string): string {
  return day.format(new Date(iso));
}
/** "6 December 2026, 02:10 UTC". */
export function reportMoment(iso: string | null): string {
  if (!iso) return "no collection yet";
  const d = new Date(iso);
  return `${day.format(d)}, ${time.format(d)} UTC`;
}

const ratio = (n: number | null) => (n === null ? MISSING : `${n.toFixed(2)}:1`);
const WAVE_STATUS: Record<string, string> = { planned: "Planned", in_progress: "In progress", done: "Done", rolled_back: "Rolled back" };

export function ReportView({ customerId, anonymised }: { customerId: string; anonymised: boolean }) {
  const trpc = useTRPC();
  const validId = UUID.test(customerId);
  const report = useQuery({
    ...trpc.report.get.queryOptions({ customerId, anonymised }),
    enabled: validId,
    staleTime: Infinity,
    retry: (count, error) => errorCode(error) !== "NOT_FOUND" && errorCode(error) !== "BAD_REQUEST" && count < 1,
  });

  if (!validId || errorCode(report.error) === "NOT_FOUND" || errorCode(report.error) === "BAD_REQUEST") {
    return (
      <div className="rounded-lg border border-slate-200 bg-white shadow-xs dark:border-slate-800 dark:bg-slate-900" data-report-state="missing">
        <title>Report not found · Fleetlens</title>
        <EmptyState title="Customer not found" titleAs="h1" action={<Link href="/" className={buttonClasses("primary")}>Back to the fleet</Link>}>
          There is no customer at this address, or it is not one of yours.
        </EmptyState>
      </div>
    );
  }
  if (report.error) {
    return (
      <div data-report-state="error">
        <QueryError title="Could not make the report" query={report} />
      </div>
    );
  }
  if (!report.data) return <LoadingBlock label="Preparing the report…" />;
  return <ReportDocument report={report.data} customerId={customerId} />;
}

function ReportDocument({ report, customerId }: { report: Report; customerId: string }) {
  const { estate, density, waste, isolation, verdicts, utilisation } = report;
  const title = `${report.customerName}: fleet assessment`;
  const pdfHref = `/api/report/${encodeURIComponent(customerId)}${report.anonymised ? "?anonymised=1" : ""}`;
  return (
    <article className="report-document mx-auto max-w-4xl" data-report-state="ready" aria-labelledby="report-title">
      <title>{`${title} · Fleetlens`}</title>
      <div className="report-toolbar mb-6 flex flex-wrap items-center justify-between gap-3 print:hidden">
        <Link href={customerHref(customerId)} className={buttonClasses("ghost", "sm")}>
          ← Back to the customer
        </Link>
        <div className="flex flex-wrap items-center gap-2">
          <Link
            href={reportHref(customerId, { anonymised: !report.anonymised })}
            className={buttonClasses("secondary", "sm")}
          >
            {report.anonymised ? "Show the named report" : "Anonymised variant"}
          </Link>
          <button type="button" className={buttonClasses("secondary", "sm")} onClick={() => window.print()}>
            Print
          </button>
          <a href={pdfHref} download className={buttonClasses("primary", "sm")}>
            Download PDF
          </a>
        </div>
      </div>

      <header className="report-cover">
        <p className="report-muted text-sm font-medium uppercase tracking-wide">Fleetlens customer report{report.anonymised ? " · anonymised" : ""}</p>
        <h1 id="report-title" className="mt-1 text-3xl font-semibold tracking-tight">
          {title}
        </h1>
        <p className="report-muted mt-2 text-sm">
          Prepared {reportDay(report.preparedAt)} · data as of {reportMoment(report.dataAsOf)}
        </p>
        {report.anonymised && (
          <p className="report-note mt-3 text-sm">
            Names, host names, clusters, addresses and ids are replaced by aliases (the same alias for the same original in
            every report); the figures are the customer&apos;s own.
          </p>
        )}
        {!report.dataAsOf && (
          <p className="report-note mt-3 text-sm">No collection has succeeded yet for this customer: the figures below are empty.</p>
        )}
      </header>

      <Section title="Estate summary" first>
        <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4">
          <Figure label="Physical hosts" value={formatCount(estate.physicalHosts)} detail={`${pluralize(estate.hypervisors, "hypervisor")} · ${pluralize(estate.engineHosts, "engine host")}`} />
          <Figure label="Physical cores" value={formatCount(estate.physicalCores)} detail={`${formatMiB(estate.physicalMemoryMiB)} memory`} />
          <Figure label="Virtual machines" value={formatCount(estate.virtualMachines)} detail={`${formatCount(estate.vmsPoweredOn)} powered on · ${pluralize(estate.templates, "template")}`} />
          <Figure label="Containers" value={formatCount(estate.containers)} detail={`${formatCount(estate.containersRunning)} running · ${pluralize(estate.images, "image")}`} />
          <Figure label="vCPUs powered on" value={formatCount(estate.vcpusPoweredOn)} detail={`${formatMiB(estate.vmMemoryMiBPoweredOn)} VM memory`} />
          <Figure label="RAM saved by the moves" value={formatMiB(verdicts.ramSavedMiB)} detail={`${pluralize(verdicts.hostsFreed, "host")} freed`} />
          <Figure label="RAM lost to duplicate OS copies" value={formatMiB(waste.ramWasteMiB)} detail={`${formatMiB(waste.diskWasteMiB)} disk`} />
          <Figure label="Isolation score" value={isolation.score === null ? MISSING : `${isolation.score} / 100`} detail={`${pluralize(isolation.scoredContainers, "running container")} scored`} />
        </dl>
        <h3 className="report-h3">Sources</h3>
        {report.sources.length === 0 ? (
          <p className="report-muted text-sm">No sources: nothing has been collected for this customer.</p>
        ) : (
          <Table head={["Source", "Kind", "Last successful collection"]}>
            {report.sources.map((s) => (
              <tr key={s.name}>
                <td>{s.name}</td>
                <td>{s.kind}</td>
                <td>{reportMoment(s.lastCollectedAt)}</td>
              </tr>
            ))}
          </Table>
        )}
      </Section>

      <Section title="Density">
        <p className="text-sm">
          {ratio(density.vcpuPerCore)} vCPU per physical core (target {ratio(density.target.vcpuPerCore)}), {ratio(density.vramPerPram)} VM memory per physical
          memory (target {ratio(density.target.vramPerPram)}), {density.consolidation === null ? MISSING : density.consolidation.toFixed(1)} workloads per host;{" "}
          {formatCount(density.hostsOverTarget)} hosts above a target, {formatCount(density.containersUnbounded)} containers without a memory limit.
        </p>
        <Table head={["Cluster", "Hosts", "vCPU:pCore", "vRAM:pRAM", "Workloads per host", "Hosts over target"]} numeric={[1, 2, 3, 4, 5]} empty="No clusters.">
          {density.clusters.map((c) => (
            <tr key={c.cluster}>
              <td>{c.cluster}</td>
              <td>{formatCount(c.physicalHosts)}</td>
              <td>{ratio(c.vcpuPerCore)}</td>
              <td>{ratio(c.vramPerPram)}</td>
              <td>{c.consolidation === null ? MISSING : c.consolidation.toFixed(1)}</td>
              <td>{formatCount(c.hostsOverTarget)}</td>
            </tr>
          ))}
        </Table>
        {density.hostsOver.length > 0 && (
          <>
            <h3 className="report-h3">Hosts above a target</h3>
            <Table head={["Host", "Cluster", "vCPU:pCore", "vRAM:pRAM"]} numeric={[2, 3]}>
              {density.hostsOver.map((h) => (
                <tr key={`${h.cluster}/${h.host}`}>
                  <td>{h.host}</td>
                  <td>{h.cluster}</td>
                  <td>{ratio(h.vcpuPerCore)}</td>
                  <td>{ratio(h.vramPerPram)}</td>
                </tr>
              ))}
            </Table>
          </>
        )}
      </Section>

      <Section title="Waste">
        <p className="text-sm">
          Duplicate OS copies hold {formatMiB(waste.ramDuplicateMiB)} of RAM, of which page sharing recovers {formatMiB(waste.ramSharedMiB)}:{" "}
          {formatMiB(waste.ramWasteMiB)} of RAM and {formatMiB(waste.diskWasteMiB)} of disk remain.
          {waste.unknownOs > 0 && ` ${formatCount(waste.unknownOs)} VMs run an OS with no known footprint and are not counted.`} Layer sharing saves{" "}
          {formatBytes(waste.layerSharingSavedBytes)} of image storage; {formatBytes(waste.crossHostDuplicateBytes)} are the same images stored on more than one host.
        </p>
        <Table head={["Operating system", "VMs", "RAM wasted", "Disk wasted"]} numeric={[1, 2, 3]} empty="No VMs with a known OS.">
          {waste.byOs.map((o) => (
            <tr key={o.os}>
              <td>{o.os}</td>
              <td>{formatCount(o.virtualMachines)}</td>
              <td>{formatMiB(o.ramWasteMiB)}</td>
              <td>{formatMiB(o.diskWasteMiB)}</td>
            </tr>
          ))}
        </Table>
        {waste.images.length > 0 && (
          <>
            <h3 className="report-h3">Images stored on several hosts</h3>
            <Table head={["Image", "Hosts", "Duplicate storage"]} numeric={[1, 2]}>
              {waste.images.map((i) => (
                <tr key={i.image}>
                  <td className="break-all">{i.image}</td>
                  <td>{formatCount(i.hosts)}</td>
                  <td>{formatBytes(i.duplicateBytes)}</td>
                </tr>
              ))}
            </Table>
          </>
        )}
      </Section>

      <Section title="Isolation">
        <p className="text-sm">
          Posture score {isolation.score === null ? `${MISSING} (no running containers)` : `${isolation.score} of 100`}. {isolation.scoreFormula}
        </p>
        <div className="grid gap-4 sm:grid-cols-2">
          <Table head={["Isolation level", "Workloads"]} numeric={[1]}>
            {isolation.levels.map((l) => (
              <tr key={l.level}>
                <td>{l.label}</td>
                <td>{formatCount(l.count)}</td>
              </tr>
            ))}
          </Table>
          <Table head={["Findings", "Count"]} numeric={[1]}>
            {isolation.findingsBySeverity.map((f) => (
              <tr key={f.severity}>
                <td className="capitalize">{f.severity}</td>
                <td>{formatCount(f.count)}</td>
              </tr>
            ))}
          </Table>
        </div>
        <h3 className="report-h3">Most frequent findings</h3>
        <Table head={["Rule", "Severity", "Workloads"]} numeric={[2]} empty="No findings.">
          {isolation.rules.map((r) => (
            <tr key={r.ruleId}>
              <td>
                {r.title} <span className="report-muted">({r.ruleId})</span>
              </td>
              <td className="capitalize">{r.severity}</td>
              <td>{formatCount(r.count)}</td>
            </tr>
          ))}
        </Table>
        {isolation.hosts.length > 0 && (
          <>
            <h3 className="report-h3">Container hosts, lowest score first</h3>
            <Table head={["Host", "Containers", "Score"]} numeric={[1, 2]}>
              {isolation.hosts.map((h) => (
                <tr key={h.host}>
                  <td>{h.host}</td>
                  <td>{formatCount(h.containers)}</td>
                  <td>{h.score === null ? MISSING : h.score}</td>
                </tr>
              ))}
            </Table>
          </>
        )}
      </Section>

      <Section title="Verdicts by role">
        <p className="text-sm">
          {pluralize(verdicts.candidates, "VM is a candidate", "VMs are candidates")} for a container (general workloads and database servers);{" "}
          {pluralize(verdicts.templates, "template is", "templates are")} left out. The moves save {formatMiB(verdicts.ramSavedMiB)} of RAM and {formatMiB(verdicts.diskSavedMiB)} of disk, after {formatMiB(verdicts.kataOverheadMiB)} of Kata
          overhead, and free {pluralize(verdicts.hostsFreed, "host")}.
        </p>
        <Table head={["Verdict", "VMs", "Containers", "RAM saved", "Disk saved"]} numeric={[1, 2, 3, 4]}>
          {verdicts.byVerdict.map((v) => (
            <tr key={v.verdict}>
              <td>{v.label}</td>
              <td>{formatCount(v.vms)}</td>
              <td>{formatCount(v.containers)}</td>
              <td>{formatMiB(v.ramMiB)}</td>
              <td>{formatMiB(v.diskMiB)}</td>
            </tr>
          ))}
        </Table>
        <h3 className="report-h3">By role</h3>
        <Table head={["Role", "Workloads", ...verdicts.byVerdict.map((v) => VERDICT_SHORT[v.verdict]), "RAM saved"]} numeric={[1, 2, 3, 4, 5, 6]} empty="No workloads.">
          {verdicts.byRole.map((r) => (
            <tr key={r.role}>
              <td>{r.label}</td>
              <td>{formatCount(r.workloads)}</td>
              {verdicts.byVerdict.map((v) => (
                <td key={v.verdict}>{formatCount(r.verdicts[v.verdict])}</td>
              ))}
              <td>{formatMiB(r.ramMiB)}</td>
            </tr>
          ))}
        </Table>
        {verdicts.topMoves.length > 0 && (
          <>
            <h3 className="report-h3">The moves that save the most</h3>
            <Table head={["Workload", "Verdict", "Host", "RAM saved", "Why"]} numeric={[3]}>
              {verdicts.topMoves.map((m) => (
                <tr key={`${m.kind}/${m.name}/${m.host}`}>
                  <td>
                    {m.name}
                    <span className="report-muted block text-xs">{m.role ?? "Container"}</span>
                  </td>
                  <td>{m.verdict}</td>
                  <td>{m.host ?? MISSING}</td>
                  <td>{formatMiB(m.ramMiB)}</td>
                  <td className="text-xs">{m.reason}</td>
                </tr>
              ))}
            </Table>
          </>
        )}
        <h3 className="report-h3">Measured use</h3>
        <p className="text-sm">
          {utilisation.vmsMeasured === 0
            ? "No measured use has been collected (vCenter and libvirt give it; an RVTools export carries none)."
            : `Over the ${utilisation.periodDays} days to ${reportMoment(utilisation.asOf)}, ${formatCount(utilisation.vmsMeasured)} VMs were measured: ${formatCount(utilisation.idle)} idle, ${formatCount(utilisation.oversized)} oversized, ${formatCount(utilisation.undersized)} undersized. Right-sizing them reclaims ${formatCount(utilisation.reclaimVcpus)} vCPUs, ${formatMiB(utilisation.reclaimMemoryMiB)} of memory and ${formatMiB(utilisation.reclaimDiskMiB)} of disk, and packing frees ${pluralize(utilisation.hostsFreed, "host")}.`}
        </p>
      </Section>

      <Section title="Migration plan">
        {report.plans.length === 0 ? (
          <p className="report-muted text-sm">No migration plan yet.</p>
        ) : (
          report.plans.map((plan) => (
            <div key={plan.name} className="report-plan">
              <h3 className="report-h3">{plan.name}</h3>
              <p className="text-sm">
                Frees {formatCount(plan.totals.vcpus)} vCPUs, {formatMiB(plan.totals.ramMiB)} of RAM, {formatMiB(plan.totals.diskMiB)} of disk and{" "}
                {pluralize(plan.totals.hostsFreed, "host")}; Kata overhead {formatMiB(plan.totals.kataOverheadMiB)}.
                {plan.splitDependencies > 0 && ` ${formatCount(plan.splitDependencies)} dependencies are split across waves.`}
              </p>
              <Table head={["Wave", "Owner", "Target date", "Status", "Workloads", "vCPUs", "RAM", "Disk", "Hosts freed"]} numeric={[4, 5, 6, 7, 8]} empty="No waves.">
                {plan.waves.map((w) => (
                  <tr key={w.name}>
                    <td>{w.name}</td>
                    <td>{w.owner || MISSING}</td>
                    <td>{w.targetDate ? reportDay(w.targetDate) : MISSING}</td>
                    <td>{WAVE_STATUS[w.status] ?? w.status}</td>
                    <td>{formatCount(w.workloads)}</td>
                    <td>{formatCount(w.totals.vcpus)}</td>
                    <td>{formatMiB(w.totals.ramMiB)}</td>
                    <td>{formatMiB(w.totals.diskMiB)}</td>
                    <td>{formatCount(w.totals.hostsFreed)}</td>
                  </tr>
                ))}
              </Table>
            </div>
          ))
        )}
      </Section>

      <Section title="Assumptions">
        <p className="text-sm">The model parameters in force when the report was prepared, and where each comes from.</p>
        <Table head={["Parameter", "Value", "Source"]}>
          {report.parameters.map((p) => (
            <tr key={p.key}>
              <td>{p.label}</td>
              <td className="whitespace-nowrap">
                {p.value}
                {p.defaultValue !== null && <span className="report-muted block text-xs">default {p.defaultValue}</span>}
              </td>
              <td className="text-xs">{p.source}</td>
            </tr>
          ))}
        </Table>
        <h3 className="report-h3">OS footprints (what one more copy of an OS costs)</h3>
        <Table head={["OS", "RAM", "Disk"]} numeric={[1, 2]}>
          {report.osFootprints.map((f) => (
            <tr key={f.label}>
              <td>{f.label}</td>
              <td>{formatMiB(f.ramMiB)}</td>
              <td>{formatMiB(f.diskMiB)}</td>
            </tr>
          ))}
        </Table>
      </Section>
      <p className="report-muted mt-8 text-xs">
        Fleetlens · {report.customerName} · prepared {reportDay(report.preparedAt)}
      </p>
    </article>
  );
}

function Section({ title, first = false, children }: { title: string; first?: boolean; children: ReactNode }) {
  return (
    <section className={first ? "report-section report-section-first" : "report-section"} aria-label={title}>
      <h2 className="report-h2">{title}</h2>
      <div className="space-y-3">{children}</div>
    </section>
  );
}

function Figure({ label, value, detail }: { label: string; value: ReactNode; detail?: ReactNode }) {
  return (
    <div className="report-figure">
      <dt className="report-muted text-xs font-medium uppercase tracking-wide">{label}</dt>
      <dd className="mt-1 text-xl font-semibold tabular-nums">{value}</dd>
      {detail && <dd className="report-muted mt-0.5 text-xs">{detail}</dd>}
    </div>
  );
}

function Table({ head, numeric = [], empty, children }: { head: string[]; numeric?: number[]; empty?: string; children: ReactNode[] }) {
  const rows = children.flat().filter(Boolean);
  if (rows.length === 0 && empty) return <p className="report-muted text-sm">{empty}</p>;
  return (
    <table className="report-table" data-numeric={numeric.join(" ")}>
      <thead>
        <tr>
          {head.map((h, i) => (
            <th key={h} scope="col" className={numeric.includes(i) ? "text-right" : undefined}>
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{rows}</tbody>
    </table>
  );
}
