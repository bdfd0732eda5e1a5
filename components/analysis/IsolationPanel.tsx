"use client";
import { useRef, useState } from "react";
import { Bar, BarChart, CartesianGrid, Rectangle, Tooltip, XAxis, YAxis, type BarShapeProps } from "recharts";
import { formatCount, MISSING, pluralize } from "../format";
import { StatCard } from "../ui/Card";
import { cx, focusRing } from "../ui/cx";
import { FindingsTable } from "./FindingsTable";
import { CHART, formatScore, SEVERITY_COLOR, SEVERITY_LABEL, type Severity } from "./format";
import {
  AnalysisGate,
  ChartWithTable,
  FigureTable,
  numClass,
  RowHeader,
  Section,
  SeverityBadge,
  tdClass,
  Th,
  type CustomerAnalysis,
} from "./parts";
import { ListPager, useListPage } from "./ListPager";
import { ObjectNameLink } from "../objects/ObjectNameLink";

export function IsolationPanel({ customerId, customerName }: { customerId: string; customerName: string }) {
  const [rule, setRule] = useState<{ id: string; title: string } | null>(null);
  const findingsRef = useRef<HTMLDivElement>(null);

  const showRule = (id: string, title: string) => {
    setRule((current) => (current?.id === id ? null : { id, title }));
    findingsRef.current?.scrollIntoView({ behavior: "smooth", block: "start" });
  };

  return (
    <div className="space-y-6">
      <AnalysisGate customerId={customerId} what="isolation">
        {(data) => <IsolationSummary data={data} customerId={customerId} selectedRule={rule?.id ?? null} onRule={showRule} />}
      </AnalysisGate>
      <div ref={findingsRef} className="scroll-mt-4">
        <Section
          id="findings-heading"
          title="Findings"
          description="Every rule that matched a virtual machine or container, with what it found. Hover a rule for its source."
        >
          <div className="p-3">
            <FindingsTable
              customerId={customerId}
              customerName={customerName}
              ruleId={rule?.id ?? null}
              ruleTitle={rule?.title}
              onClearRule={() => setRule(null)}
            />
          </div>
        </Section>
      </div>
    </div>
  );
}

function SeverityBar(props: BarShapeProps) {
  const severity = (props.payload as { severity: Severity } | undefined)?.severity ?? "info";
  return <Rectangle {...props} fill={SEVERITY_COLOR[severity]} />;
}

function IsolationSummary({
  data,
  customerId,
  selectedRule,
  onRule,
}: {
  data: CustomerAnalysis;
  customerId: string;
  selectedRule: string | null;
  onRule: (id: string, title: string) => void;
}) {
  const { isolation, findings, scoreFormula } = data;
  const hostPages = useListPage(customerId, "isolationHosts", isolation.hosts);
  const count = (s: Severity) => findings.bySeverity.find((b) => b.severity === s)?.count ?? 0;
  const containers = isolation.levels.filter((l) => l.level !== "vm").reduce((s, l) => s + l.count, 0);
  const severityData = findings.bySeverity.map((b) => ({ ...b, label: SEVERITY_LABEL[b.severity] }));

  return (
    <>
      <dl className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <StatCard
          label="Posture score"
          value={
            isolation.score === null ? (
              MISSING
            ) : (
              <>
                {formatScore(isolation.score)}
                <span className="text-base font-normal text-slate-500 dark:text-slate-400"> / 100</span>
              </>
            )
          }
          detail={isolation.score === null ? "No containers to score" : `Mean over ${pluralize(containers, "container")}`}
        />
        <StatCard label="Critical findings" value={formatCount(count("critical"))} detail="Root on the host, or tenants sharing a kernel" />
        <StatCard label="Warnings" value={formatCount(count("warning"))} />
        <StatCard label="Info" value={formatCount(count("info"))} />
      </dl>

      <section aria-labelledby="score-formula-heading" className="rounded-lg border border-slate-200 dark:border-slate-700 bg-slate-50 dark:bg-slate-800 px-4 py-3">
        <h2 id="score-formula-heading" className="text-sm font-semibold text-slate-900 dark:text-slate-100">
          How the score is computed
        </h2>
        <p className="mt-1 text-sm text-slate-700 dark:text-slate-300">{scoreFormula}</p>
      </section>

      <div className="grid gap-6 xl:grid-cols-2">
        <Section id="severity-heading" title="Findings by severity">
          <ChartWithTable
            label="Bar chart of the number of findings per severity"
            chart={
              <BarChart responsive width="100%" height="100%" data={severityData} margin={{ top: 8, right: 16, left: 0, bottom: 8 }}>
                <CartesianGrid strokeDasharray="3 3" stroke={CHART.grid} vertical={false} />
                <XAxis dataKey="label" tick={{ fontSize: 12, fill: CHART.axis }} />
                <YAxis allowDecimals={false} tick={{ fontSize: 12, fill: CHART.axis }} width={48} />
                <Tooltip />
                <Bar dataKey="count" name="Findings" shape={SeverityBar} radius={[3, 3, 0, 0]} />
              </BarChart>
            }
            table={
              <FigureTable
                caption="Findings by severity (the chart's figures)"
                head={
                  <>
                    <Th>Severity</Th>
                    <Th right>Findings</Th>
                  </>
                }
              >
                {findings.bySeverity.map((b) => (
                  <tr key={b.severity}>
                    <RowHeader>
                      <SeverityBadge severity={b.severity} />
                    </RowHeader>
                    <td className={numClass}>{formatCount(b.count)}</td>
                  </tr>
                ))}
              </FigureTable>
            }
          />
        </Section>

        <Section
          id="levels-heading"
          title="Isolation levels"
          description="Weakest to strongest: privileged container, shared kernel, rootless or user-namespaced, Kata Containers, full VM."
        >
          <ChartWithTable
            label="Bar chart of the number of workloads per isolation level"
            chart={
              <BarChart
                responsive
                width="100%"
                height="100%"
                layout="vertical"
                data={isolation.levels}
                margin={{ top: 8, right: 24, left: 8, bottom: 8 }}
              >
                <CartesianGrid strokeDasharray="3 3" stroke={CHART.grid} horizontal={false} />
                <XAxis type="number" allowDecimals={false} tick={{ fontSize: 12, fill: CHART.axis }} />
                <YAxis type="category" dataKey="label" width={190} tick={{ fontSize: 11, fill: CHART.axis }} />
                <Tooltip />
                <Bar dataKey="count" name="Workloads" fill={CHART.primary} radius={[0, 3, 3, 0]} />
              </BarChart>
            }
            table={
              <FigureTable
                caption="Workloads per isolation level (the chart's figures)"
                head={
                  <>
                    <Th>Isolation level</Th>
                    <Th right>Workloads</Th>
                  </>
                }
              >
                {isolation.levels.map((l) => (
                  <tr key={l.level}>
                    <RowHeader className="font-normal">{l.label}</RowHeader>
                    <td className={numClass}>{formatCount(l.count)}</td>
                  </tr>
                ))}
              </FigureTable>
            }
          />
        </Section>
      </div>

      <div className="grid gap-6 xl:grid-cols-2">
        <Section
          id="rules-heading"
          title="Findings by rule"
          description="Choose a rule to list its findings in the table below."
        >
          {findings.byRule.length === 0 ? (
            <p className="px-4 py-6 text-sm text-slate-600 dark:text-slate-400">No rule matched anything.</p>
          ) : (
            <FigureTable
              caption="Findings by rule: title, rule id, severity and count"
              captionHidden
              className="border-t-0"
              head={
                <>
                  <Th>Rule</Th>
                  <Th>Id</Th>
                  <Th>Severity</Th>
                  <Th right>Findings</Th>
                </>
              }
            >
              {findings.byRule.map((r) => {
                const selected = r.ruleId === selectedRule;
                return (
                  <tr key={r.ruleId} className={selected ? "bg-brand-50 dark:bg-brand-900/40" : "hover:bg-slate-50/80 dark:hover:bg-slate-800/40"}>
                    <RowHeader className="font-normal">
                      <button
                        type="button"
                        aria-pressed={selected}
                        onClick={() => onRule(r.ruleId, r.title)}
                        title={selected ? "Show findings of every rule" : `Show the findings of ${r.ruleId} below`}
                        className={cx(
                          "rounded text-left font-medium text-brand-700 dark:text-brand-300 hover:text-brand-900 dark:hover:text-brand-200 hover:underline",
                          focusRing,
                        )}
                      >
                        {r.title}
                      </button>
                    </RowHeader>
                    <td className={cx(tdClass, "font-mono text-xs whitespace-nowrap text-slate-600 dark:text-slate-400")}>{r.ruleId}</td>
                    <td className={tdClass}>
                      <SeverityBadge severity={r.severity} />
                    </td>
                    <td className={numClass}>{formatCount(r.count)}</td>
                  </tr>
                );
              })}
            </FigureTable>
          )}
        </Section>

        <Section
          id="hosts-posture-heading"
          title="Hosts posture"
          description="Container hosts, weakest first: a host's score is the mean of its containers' scores."
        >
          {hostPages.total === 0 ? (
            <p className="px-4 py-6 text-sm text-slate-600 dark:text-slate-400">No container hosts.</p>
          ) : (
            <FigureTable
              caption="Posture of each container host"
              captionHidden
              className="border-t-0"
              head={
                <>
                  <Th>Host</Th>
                  <Th right>Containers</Th>
                  <Th>Tenants</Th>
                  <Th right>Score</Th>
                  <Th right>Critical</Th>
                  <Th right>Warning</Th>
                  <Th right>Info</Th>
                </>
              }
            >
              {hostPages.rows.map((h) => (
                <tr key={h.key}>
                  <RowHeader className="whitespace-nowrap">
                    <ObjectNameLink kind="host" id={h.key}>{h.hostName}</ObjectNameLink>
                  </RowHeader>
                  <td className={numClass}>{formatCount(h.containers)}</td>
                  <td className={cx(tdClass, "text-xs text-slate-600 dark:text-slate-400")}>
                    {h.tenants.length === 0 ? <span className="text-slate-400 dark:text-slate-500">{MISSING}</span> : h.tenants.join(", ")}
                  </td>
                  <td className={numClass}>{formatScore(h.score)}</td>
                  <td className={cx(numClass, h.findingsBySeverity.critical > 0 && "font-semibold text-red-700 dark:text-red-300")}>
                    {formatCount(h.findingsBySeverity.critical)}
                  </td>
                  <td className={numClass}>{formatCount(h.findingsBySeverity.warning)}</td>
                  <td className={numClass}>{formatCount(h.findingsBySeverity.info)}</td>
                </tr>
              ))}
            </FigureTable>
          )}
          <ListPager label="Hosts" pager={hostPages} />
        </Section>
      </div>
    </>
  );
}
