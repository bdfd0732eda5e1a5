"use client";
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from "recharts";
import { formatCount, formatMiB, pluralize } from "../format";
import { StatCard } from "../ui/Card";
import { MISSING } from "../format";
import { CHART, formatGiB, ROLE_LABEL, ROLE_VALUES, ROLE_VERDICT, toGiB, VERDICT_LABEL, VERDICT_VALUES } from "./format";
import {
  AnalysisGate,
  ChartWithTable,
  FigureTable,
  numClass,
  RowHeader,
  Section,
  Swatch,
  Th,
  VerdictBadge,
  type CustomerAnalysis,
} from "./parts";
import { ListPager, useListPage } from "./ListPager";
import { VerdictsTable } from "./VerdictsTable";
import { ObjectNameLink } from "../objects/ObjectNameLink";

export function MigrationPanel({ customerId, customerName }: { customerId: string; customerName: string }) {
  return (
    <div className="space-y-6">
      <AnalysisGate customerId={customerId} what="migration">
        {(data) => <MigrationSummary data={data} customerId={customerId} />}
      </AnalysisGate>
      <Section
        id="verdicts-heading"
        title="Verdicts"
        description="Each virtual machine and container: what it is, where it should go, why, and the evidence it rests on. Findings are the rules that decided it (hover a rule id for its title)."
      >
        <div className="p-3">
          <VerdictsTable customerId={customerId} customerName={customerName} />
        </div>
      </Section>
    </div>
  );
}

function MigrationSummary({ data, customerId }: { data: CustomerAnalysis; customerId: string }) {
  const { totals, packing, byVerdict } = data.migration;
  const templatePages = useListPage(customerId, "templates", data.migration.templates);
  const chartData = byVerdict.map((v) => ({ ...v, ramGiB: toGiB(v.ramMiB), diskGiB: toGiB(v.diskMiB) }));
  const hostsNow = packing.reduce((s, p) => s + p.hosts, 0);
  // Every VM but templates (totals.roles counts templates too).
  const vms = ROLE_VALUES.reduce((s, role) => s + totals.roles[role], 0) - totals.templates;

  return (
    <>
      <dl className="grid grid-cols-2 gap-3 md:grid-cols-4">
        {VERDICT_VALUES.map((verdict) => {
          const row = byVerdict.find((v) => v.verdict === verdict);
          return (
            <StatCard
              key={verdict}
              label={VERDICT_LABEL[verdict]}
              value={formatCount(totals.verdicts[verdict])}
              detail={row && `${pluralize(row.vms, "VM")} · ${pluralize(row.containers, "container")}`}
            />
          );
        })}
      </dl>
      <dl className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <StatCard
          label="Candidates"
          value={formatCount(totals.candidates)}
          detail={`general workloads and database servers, of ${pluralize(vms, "VM")} (templates apart); fit graded for ${formatCount(totals.candidatesGraded)}${
            totals.candidates > totals.candidatesGraded ? `, ${formatCount(totals.candidates - totals.candidatesGraded)} need guest discovery` : ""
          }`}
        />
        <StatCard
          label="RAM saved"
          value={formatGiB(totals.ramSavedMiB)}
          detail={`VMs that move save ${formatGiB(totals.vmRamSavedMiB)}; Kata for exposed containers costs ${formatGiB(totals.containerKataCostMiB)} (isolation, not savings)`}
        />
        <StatCard label="Disk saved" value={formatMiB(totals.diskSavedMiB)} detail="OS copies no longer stored" />
        <StatCard
          label="Hosts freed"
          value={formatCount(totals.hostsFreed)}
          detail={`of ${pluralize(hostsNow, "physical host")}, packed at the target ratios`}
        />
      </dl>

      <div className="grid gap-6 xl:grid-cols-2">
        <Section
          id="roles-heading"
          title="What the VMs are"
          description={
            <>
              Each VM&rsquo;s role, from the strongest evidence its platform gives (product, managing solution, guest OS, name
              last; what runs inside, when guest discovery read it). Only general workloads and database servers are candidates:{" "}
              {pluralize(totals.candidates, "candidate")}, {formatCount(totals.candidatesGraded)} graded from what runs inside them, the
              others from the configuration alone until guest discovery reads them.
            </>
          }
        >
          <FigureTable
            caption="VMs by role, and what each role's VMs become"
            captionHidden
            className="border-t-0"
            head={
              <>
                <Th>Role</Th>
                <Th right>VMs</Th>
                <Th>Verdict</Th>
              </>
            }
          >
            {ROLE_VALUES.filter((role) => totals.roles[role] > 0).map((role) => (
              <tr key={role} data-role={role}>
                <RowHeader>{ROLE_LABEL[role]}</RowHeader>
                <td className={numClass}>{formatCount(totals.roles[role])}</td>
                <td className="px-3 py-2 align-top text-xs text-slate-600 dark:text-slate-400">{ROLE_VERDICT[role]}</td>
              </tr>
            ))}
          </FigureTable>
        </Section>

        <Section
          id="templates-heading"
          title={`Templates (${formatCount(totals.templates)}), not workloads`}
          description="Templates run nothing: they are out of the verdicts, the candidate counts and the savings."
        >
          {templatePages.total === 0 ? (
            <p className="px-4 py-6 text-sm text-slate-600 dark:text-slate-400">No templates.</p>
          ) : (
            <div className="max-h-80 overflow-y-auto">
              <FigureTable
                caption="Templates: name, host, guest OS"
                captionHidden
                className="border-t-0"
                head={
                  <>
                    <Th>Template</Th>
                    <Th>Host</Th>
                    <Th>Guest OS</Th>
                  </>
                }
              >
                {templatePages.rows.map((t) => (
                  <tr key={t.key}>
                    <RowHeader>
                      <ObjectNameLink kind="vm" id={t.key}>{t.name}</ObjectNameLink>
                    </RowHeader>
                    <td className="px-3 py-2 align-top whitespace-nowrap">
                      {t.host ?? <span className="text-slate-400 dark:text-slate-500">{MISSING}</span>}
                      {t.cluster && <div className="text-xs text-slate-500 dark:text-slate-400">{t.cluster}</div>}
                    </td>
                    <td className="px-3 py-2 align-top">{t.os ?? <span className="text-slate-400 dark:text-slate-500">{MISSING}</span>}</td>
                  </tr>
                ))}
              </FigureTable>
            </div>
          )}
          <ListPager label="Templates" pager={templatePages} />
        </Section>
      </div>

      <div className="grid gap-6 xl:grid-cols-2">
        <Section
          id="savings-heading"
          title="Savings by verdict"
          description="RAM and disk freed by moving each group; Kata Containers keep a small VM per pod, so their RAM is net of that overhead."
        >
          <ChartWithTable
            label="Bar chart of RAM and disk saved per verdict, in GiB"
            chart={
              <BarChart responsive width="100%" height="100%" data={chartData} margin={{ top: 8, right: 16, left: 8, bottom: 8 }}>
                <CartesianGrid strokeDasharray="3 3" stroke={CHART.grid} vertical={false} />
                <XAxis dataKey="label" tick={{ fontSize: 12, fill: CHART.axis }} interval={0} />
                <YAxis unit=" GiB" tick={{ fontSize: 12, fill: CHART.axis }} width={72} />
                <Tooltip formatter={(value) => `${value} GiB`} />
                <Bar dataKey="ramGiB" name="RAM saved" fill={CHART.primary} radius={[3, 3, 0, 0]} />
                <Bar dataKey="diskGiB" name="Disk saved" fill={CHART.secondary} radius={[3, 3, 0, 0]} />
              </BarChart>
            }
            legend={
              <>
                <Swatch color={CHART.primary} label="RAM saved (GiB)" />
                <Swatch color={CHART.secondary} label="Disk saved (GiB)" />
              </>
            }
            table={
              <FigureTable
                caption="Savings by verdict (the chart's figures)"
                head={
                  <>
                    <Th>Verdict</Th>
                    <Th right>VMs</Th>
                    <Th right>Containers</Th>
                    <Th right>RAM saved</Th>
                    <Th right>Disk saved</Th>
                  </>
                }
              >
                {byVerdict.map((v) => (
                  <tr key={v.verdict}>
                    <RowHeader>
                      <VerdictBadge verdict={v.verdict} label={v.label} />
                    </RowHeader>
                    <td className={numClass}>{formatCount(v.vms)}</td>
                    <td className={numClass}>{formatCount(v.containers)}</td>
                    <td className={numClass}>{formatGiB(v.ramMiB)}</td>
                    <td className={numClass}>{formatGiB(v.diskMiB)}</td>
                  </tr>
                ))}
              </FigureTable>
            }
          />
        </Section>

        <Section
          id="packing-heading"
          title="Packing per cluster"
          description="Hosts each cluster needs at the target vCPU:pCore and vRAM:pRAM ratios, for today's powered-on VMs and after the moves."
        >
          {packing.length === 0 ? (
            <p className="px-4 py-6 text-sm text-slate-600 dark:text-slate-400">No hypervisor clusters: nothing to pack.</p>
          ) : (
            <FigureTable
              caption="Hosts per cluster: today, needed now, needed after the moves, freed"
              captionHidden
              className="border-t-0"
              head={
                <>
                  <Th>Cluster</Th>
                  <Th right>Hosts</Th>
                  <Th right>Needed now</Th>
                  <Th right>Needed after</Th>
                  <Th right>Freed</Th>
                </>
              }
            >
              {packing.map((p) => (
                <tr key={`${p.customer}:${p.cluster}`}>
                  <RowHeader>{p.cluster}</RowHeader>
                  <td className={numClass}>{formatCount(p.hosts)}</td>
                  <td className={numClass}>{formatCount(p.neededNow)}</td>
                  <td className={numClass}>{formatCount(p.neededAfter)}</td>
                  <td className={numClass}>
                    <span className={p.hostsFreed > 0 ? "font-semibold text-emerald-700 dark:text-emerald-300" : undefined}>
                      {formatCount(p.hostsFreed)}
                    </span>
                  </td>
                </tr>
              ))}
            </FigureTable>
          )}
        </Section>
      </div>
    </>
  );
}
