"use client";
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from "recharts";
import { formatBytes, formatCount, formatMiB, pluralize } from "../format";
import { StatCard } from "../ui/Card";
import { cx } from "../ui/cx";
import { CHART, formatGB, formatGiB, toGiB } from "./format";
import { AnalysisGate, ChartWithTable, FigureTable, numClass, RowHeader, Section, Swatch, tdClass, Th, type CustomerAnalysis } from "./parts";
import { ObjectNameLink } from "../objects/ObjectNameLink";

export function WastePanel({ customerId }: { customerId: string }) {
  return (
    <div className="space-y-6">
      <AnalysisGate customerId={customerId} what="waste">
        {(data) => <Waste data={data} />}
      </AnalysisGate>
    </div>
  );
}

function Waste({ data }: { data: CustomerAnalysis }) {
  const { totals, byOs, images } = data.waste;
  const chartData = byOs.map((o) => ({ os: o.os, ramGiB: toGiB(o.ramWasteMiB), diskGiB: toGiB(o.diskWasteMiB) }));
  const duplicated = images.filter((i) => i.hosts > 1);

  return (
    <>
      <dl className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <StatCard
          label="RAM waste"
          value={formatGiB(totals.ramWasteMiB)}
          detail={`${formatGiB(totals.ramDuplicateMiB)} duplicate, ${formatGiB(totals.ramSharedMiB)} shared by the hypervisor`}
        />
        <StatCard label="Disk waste" value={formatMiB(totals.diskWasteMiB)} detail="Duplicate OS copies on disk" />
        <StatCard
          label="Layer sharing saved"
          value={formatGB(totals.layerSharingSavedBytes)}
          detail={`${formatGB(totals.imageBytesStored)} stored instead of ${formatGB(totals.imageBytesUnshared)}`}
        />
        <StatCard
          label="Same image on several hosts"
          value={formatGB(totals.crossHostDuplicateBytes)}
          detail="Extra copies of one image across engine hosts"
        />
      </dl>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Every VM carries its own OS: per OS, N copies duplicate N&minus;1 footprints. RAM counts powered-on VMs only and
        is netted of the page sharing the hypervisor reports (TPS, KSM); disk counts every VM but templates.
        {totals.unknownOs > 0 && ` ${pluralize(totals.unknownOs, "VM")} with an unrecognised OS ${totals.unknownOs === 1 ? "is" : "are"} not counted.`}
      </p>
      {totals.systemContainersSharingImages > 0 && (
        <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="image-instances">
          {pluralize(totals.systemContainersSharingImages, "LXD system container")} share {pluralize(data.waste.imageInstances.length, "image")} with others on their host: a copy-on-write storage
          pool (btrfs, LVM, ZFS, Ceph) stores each image once; a <code>dir</code> pool holds {formatGB(totals.imageInstanceCopyBytes)} more in unpacked copies (at least: image sizes are compressed).
        </p>
      )}

      <Section id="waste-os-heading" title="Duplication waste by OS" description="RAM and disk spent on duplicate copies of the same operating system.">
        {byOs.length === 0 ? (
          <p className="px-4 py-6 text-sm text-slate-600 dark:text-slate-400">No virtual machine with a recognised OS: nothing duplicated.</p>
        ) : (
          <ChartWithTable
            label="Bar chart of RAM waste and disk waste per operating system, in GiB"
            chart={
              <BarChart responsive width="100%" height="100%" data={chartData} margin={{ top: 8, right: 16, left: 8, bottom: 8 }}>
                <CartesianGrid strokeDasharray="3 3" stroke={CHART.grid} vertical={false} />
                <XAxis dataKey="os" tick={{ fontSize: 11, fill: CHART.axis }} />
                <YAxis unit=" GiB" tick={{ fontSize: 12, fill: CHART.axis }} width={72} />
                <Tooltip formatter={(value) => `${value} GiB`} />
                <Bar dataKey="ramGiB" name="RAM waste" fill={CHART.primary} radius={[3, 3, 0, 0]} />
                <Bar dataKey="diskGiB" name="Disk waste" fill={CHART.secondary} radius={[3, 3, 0, 0]} />
              </BarChart>
            }
            legend={
              <>
                <Swatch color={CHART.primary} label="RAM waste (GiB)" />
                <Swatch color={CHART.secondary} label="Disk waste (GiB)" />
              </>
            }
            table={
              <FigureTable
                caption="Duplication waste by OS (the chart's figures). Footprint used: one OS copy, RAM / disk."
                head={
                  <>
                    <Th>OS</Th>
                    <Th right>VMs</Th>
                    <Th right>Powered on</Th>
                    <Th right>Footprint used</Th>
                    <Th right>RAM duplicate</Th>
                    <Th right>Shared by hypervisor</Th>
                    <Th right>RAM waste</Th>
                    <Th right>Disk waste</Th>
                    <Th>Footprint source</Th>
                  </>
                }
              >
                {byOs.map((o) => (
                  <tr key={`${o.customer}:${o.os}`}>
                    <RowHeader className="whitespace-nowrap">{o.os}</RowHeader>
                    <td className={numClass}>{formatCount(o.virtualMachines)}</td>
                    <td className={numClass}>{formatCount(o.poweredOn)}</td>
                    <td className={numClass}>
                      {formatMiB(o.footprintRamMiB)} / {formatMiB(o.footprintDiskMiB)}
                    </td>
                    <td className={numClass}>{formatMiB(o.ramDuplicateMiB)}</td>
                    <td className={numClass}>{formatMiB(o.ramSharedMiB)}</td>
                    <td className={cx(numClass, "font-medium text-slate-900 dark:text-slate-100")}>{formatMiB(o.ramWasteMiB)}</td>
                    <td className={numClass}>{formatMiB(o.diskWasteMiB)}</td>
                    <td className={cx(tdClass, "min-w-48 text-xs text-slate-600 dark:text-slate-400")}>{o.source}</td>
                  </tr>
                ))}
              </FigureTable>
            }
          />
        )}
      </Section>

      <Section
        id="waste-images-heading"
        title="Same image on several hosts"
        description="The container images stored on more than one engine host: each extra host stores another copy."
      >
        {duplicated.length === 0 ? (
          <p className="px-4 py-6 text-sm text-slate-600 dark:text-slate-400">No image is stored on more than one host.</p>
        ) : (
          <FigureTable
            caption="Top images stored on several hosts"
            captionHidden
            className="border-t-0"
            head={
              <>
                <Th>Image</Th>
                <Th right>Hosts</Th>
                <Th right>Size</Th>
                <Th right>Duplicate</Th>
              </>
            }
          >
            {duplicated.map((i) => (
              <tr key={`${i.customer}:${i.imageId}`}>
                <RowHeader className="font-normal break-all">
                  <span title={i.imageId}>
                    <ObjectNameLink kind="image" id={i.imageKey}>{i.image}</ObjectNameLink>
                  </span>
                </RowHeader>
                <td className={numClass}>{formatCount(i.hosts)}</td>
                <td className={numClass}>{formatBytes(i.sizeBytes)}</td>
                <td className={cx(numClass, "font-medium text-slate-900 dark:text-slate-100")}>{formatGB(i.duplicateBytes)}</td>
              </tr>
            ))}
          </FigureTable>
        )}
      </Section>
    </>
  );
}
