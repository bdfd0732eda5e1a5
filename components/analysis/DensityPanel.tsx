"use client";
import { Bar, BarChart, CartesianGrid, Rectangle, ReferenceLine, Tooltip, XAxis, YAxis, type BarShapeProps } from "recharts";
import { formatCount, pluralize } from "../format";
import { Badge } from "../ui/Badge";
import { StatCard } from "../ui/Card";
import { cx } from "../ui/cx";
import { CHART, formatDecimal, formatRatio } from "./format";
import { AnalysisGate, ChartWithTable, FigureTable, numClass, RowHeader, Section, Swatch, tdClass, Th, type CustomerAnalysis } from "./parts";
import { ObjectNameLink } from "../objects/ObjectNameLink";
import { ListPager, useListPage } from "./ListPager";

const overTargetOf = (props: BarShapeProps) => Boolean((props.payload as { overTarget?: boolean } | undefined)?.overTarget);

function VcpuBar(props: BarShapeProps) {
  return <Rectangle {...props} fill={overTargetOf(props) ? CHART.primaryOver : CHART.primary} />;
}

function VramBar(props: BarShapeProps) {
  return <Rectangle {...props} fill={overTargetOf(props) ? CHART.secondaryOver : CHART.secondary} />;
}

export function DensityPanel({ customerId }: { customerId: string }) {
  return (
    <div className="space-y-6">
      <AnalysisGate customerId={customerId} what="density">
        {(data) => <Density data={data} customerId={customerId} />}
      </AnalysisGate>
    </div>
  );
}

function Density({ data, customerId }: { data: CustomerAnalysis; customerId: string }) {
  const { totals, target } = data.density;
  const hostPages = useListPage(customerId, "densityHosts", data.density.hosts);
  const clusterPages = useListPage(customerId, "densityClusters", data.density.clusters);
  const hosts = hostPages.rows;
  const clusters = clusterPages.rows;
  const chartData = hosts.map((h) => ({
    name: h.hostName,
    overTarget: h.overTarget,
    vcpuPerCore: h.vcpuPerCore ?? 0,
    vramPerPram: h.vramPerPram ?? 0,
  }));

  return (
    <>
      <dl className="grid grid-cols-2 gap-3 md:grid-cols-5">
        <StatCard label="vCPU:pCore" value={formatRatio(totals?.vcpuPerCore)} detail={`Target ${formatRatio(target.vcpuPerCore)}`} />
        <StatCard label="vRAM:pRAM" value={formatRatio(totals?.vramPerPram)} detail={`Target ${formatRatio(target.vramPerPram)}`} />
        <StatCard label="Consolidation" value={formatDecimal(totals?.consolidation)} detail="Workloads per physical host" />
        <StatCard
          label="Hosts over target"
          value={formatCount(totals?.hostsOverTarget ?? 0)}
          detail={`of ${pluralize(totals?.physicalHosts ?? 0, "physical host")}`}
        />
        <StatCard
          label="Unbounded containers"
          value={formatCount(totals?.containersUnbounded ?? 0)}
          detail={`of ${pluralize(totals?.containers ?? 0, "container")}, no memory limit`}
        />
      </dl>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Ratios count powered-on virtual machines only: templates and powered-off (or suspended) VMs are not counted in
        the ratios; they are listed apart. Containers without a memory limit are counted as unbounded, never as zero
        memory.
      </p>

      <Section
        id="density-heading"
        title="Density per physical host"
        description={`vCPU:pCore and vRAM:pRAM of each hypervisor or bare-metal engine host; the dashed lines are the targets (${formatRatio(target.vcpuPerCore)} and ${formatRatio(target.vramPerPram)}). Hosts over a target are drawn in red and orange.`}
      >
        {hostPages.total === 0 ? (
          <p className="px-4 py-6 text-sm text-slate-600 dark:text-slate-400">No physical hosts collected: only their virtual machines or containers.</p>
        ) : (
          <>
            <ChartWithTable
              label="Bar chart of vCPU:pCore and vRAM:pRAM per physical host, with the target ratios"
              chart={
                <BarChart responsive width="100%" height="100%" data={chartData} margin={{ top: 16, right: 16, left: 0, bottom: 8 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke={CHART.grid} vertical={false} />
                  <XAxis dataKey="name" tick={{ fontSize: 11, fill: CHART.axis }} />
                  <YAxis tick={{ fontSize: 12, fill: CHART.axis }} width={40} />
                  <Tooltip formatter={(value) => `${value}:1`} />
                  <ReferenceLine
                    y={target.vcpuPerCore}
                    stroke={CHART.primary}
                    strokeDasharray="6 4"
                    ifOverflow="extendDomain"
                    label={{ value: `vCPU target ${formatRatio(target.vcpuPerCore)}`, position: "insideTopRight", fontSize: 11, fill: CHART.reference }}
                  />
                  <ReferenceLine
                    y={target.vramPerPram}
                    stroke={CHART.secondary}
                    strokeDasharray="6 4"
                    ifOverflow="extendDomain"
                    label={{ value: `vRAM target ${formatRatio(target.vramPerPram)}`, position: "insideBottomRight", fontSize: 11, fill: CHART.reference }}
                  />
                  <Bar dataKey="vcpuPerCore" name="vCPU:pCore" shape={VcpuBar} radius={[3, 3, 0, 0]} />
                  <Bar dataKey="vramPerPram" name="vRAM:pRAM" shape={VramBar} radius={[3, 3, 0, 0]} />
                </BarChart>
              }
              legend={
                <>
                  <Swatch color={CHART.primary} label="vCPU:pCore" />
                  <Swatch color={CHART.secondary} label="vRAM:pRAM" />
                  <Swatch color={CHART.primaryOver} label="vCPU:pCore, host over target" />
                  <Swatch color={CHART.secondaryOver} label="vRAM:pRAM, host over target" />
                </>
              }
              table={
                <FigureTable
                  caption="Density per physical host (the chart's figures). VMs: powered on / powered off / templates; containers: total (unbounded)."
                  head={
                    <>
                      <Th>Host</Th>
                      <Th>Cluster</Th>
                      <Th right>VMs on / off / templates</Th>
                      <Th right>vCPUs</Th>
                      <Th right>Cores</Th>
                      <Th right>vCPU:pCore</Th>
                      <Th right>vRAM:pRAM</Th>
                      <Th right>Containers (unbounded)</Th>
                      <Th right>Consolidation</Th>
                      <Th>Over target</Th>
                    </>
                  }
                >
                  {hosts.map((h) => (
                    <tr key={h.key} className={h.overTarget ? "bg-red-50/50 dark:bg-red-950/30" : undefined}>
                      <RowHeader className="whitespace-nowrap">
                        <ObjectNameLink kind="host" id={h.key}>{h.hostName}</ObjectNameLink>
                      </RowHeader>
                      <td className={cx(tdClass, "whitespace-nowrap text-slate-600 dark:text-slate-400")}>{h.cluster}</td>
                      <td className={numClass}>
                        {formatCount(h.vmsPoweredOn)} / {formatCount(h.vmsPoweredOff)} / {formatCount(h.templates)}
                      </td>
                      <td className={numClass}>{formatCount(h.vcpusPoweredOn)}</td>
                      <td className={numClass}>{formatCount(h.physicalCores)}</td>
                      <td className={cx(numClass, h.vcpuPerCore !== null && h.vcpuPerCore > target.vcpuPerCore && "font-semibold text-red-700 dark:text-red-300")}>
                        {formatRatio(h.vcpuPerCore)}
                      </td>
                      <td className={cx(numClass, h.vramPerPram !== null && h.vramPerPram > target.vramPerPram && "font-semibold text-red-700 dark:text-red-300")}>
                        {formatRatio(h.vramPerPram)}
                      </td>
                      <td className={numClass}>
                        {formatCount(h.containers)} ({formatCount(h.containersUnbounded)})
                      </td>
                      <td className={numClass}>{formatDecimal(h.consolidation)}</td>
                      <td className={tdClass}>
                        {h.overTarget ? <Badge tone="red">Yes</Badge> : <span className="text-slate-600 dark:text-slate-400">No</span>}
                      </td>
                    </tr>
                  ))}
                </FigureTable>
              }
            />
            <ListPager label="Hosts" pager={hostPages} />
          </>
        )}
      </Section>

      {clusterPages.total > 0 && (
        <Section id="cluster-density-heading" title="Density per cluster" description="The same figures summed over each cluster's physical hosts (a host in no cluster is its own).">
          <FigureTable
            caption="Density per cluster"
            captionHidden
            head={
              <>
                <Th>Cluster</Th>
                <Th right>Hosts (over target)</Th>
                <Th right>VMs on / off / templates</Th>
                <Th right>vCPU:pCore</Th>
                <Th right>vRAM:pRAM</Th>
                <Th right>Containers (unbounded)</Th>
                <Th right>Consolidation</Th>
              </>
            }
          >
            {clusters.map((c) => (
              <tr key={c.cluster}>
                <RowHeader className="whitespace-nowrap">{c.cluster}</RowHeader>
                <td className={numClass}>
                  {formatCount(c.physicalHosts)} ({formatCount(c.hostsOverTarget)})
                </td>
                <td className={numClass}>
                  {formatCount(c.vmsPoweredOn)} / {formatCount(c.vmsPoweredOff)} / {formatCount(c.templates)}
                </td>
                <td className={numClass}>{formatRatio(c.vcpuPerCore)}</td>
                <td className={numClass}>{formatRatio(c.vramPerPram)}</td>
                <td className={numClass}>
                  {formatCount(c.containers)} ({formatCount(c.containersUnbounded)})
                </td>
                <td className={numClass}>{formatDecimal(c.consolidation)}</td>
              </tr>
            ))}
          </FigureTable>
          <ListPager label="Clusters" pager={clusterPages} />
        </Section>
      )}
    </>
  );
}
