"use client";
/**
 * A virtual machine's page: its hypervisor, the engine host it is (with that host's containers),
 * role, verdict with reasons, evidence and saving, guest discovery's facts (or what is missing),
 * measured use and its history, properties, disks, findings and collections.
 */
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";
import type { RouterOutputs } from "../api-types";
import { formatCount, formatDateTime, formatMiB, formatPowerState, formatWord, pluralize } from "../format";
import { UtilisationHistoryCharts } from "../analysis/UtilisationHistoryCharts";
import { VERDICT_TONE } from "../analysis/format";
import { Badge } from "../ui/Badge";
import {
  Breadcrumbs,
  cell,
  CollectionHistory,
  Figure,
  Findings,
  isUuid,
  ListTable,
  muted,
  Nothing,
  ObjectFrame,
  ObjectHeader,
  ObjectLink,
  objectRetry,
  ObjectSection,
  Properties,
  VerdictSection,
} from "./parts";

type Vm = RouterOutputs["objects"]["vm"];

const LINK_KEYS: Record<string, string> = { uuid: "UUID", mac: "MAC address", hostname: "hostname" };
const pct = (v: number | null | undefined) => (v === null || v === undefined ? null : `${v < 10 ? v.toFixed(1) : Math.round(v)} %`);

export function VmView({ customerId, id }: { customerId: string; id: string }) {
  const trpc = useTRPC();
  const query = useQuery({
    ...trpc.objects.vm.queryOptions({ customerId, id }),
    enabled: isUuid(customerId) && isUuid(id),
    retry: objectRetry,
  });
  return (
    <ObjectFrame customerId={customerId} kind="vm" id={id} query={query}>
      {(vm) => <VmPage customerId={customerId} vm={vm} />}
    </ObjectFrame>
  );
}

function VmPage({ customerId, vm }: { customerId: string; vm: Vm }) {
  const { topology: t } = vm;
  const power = vm.properties.find((p) => p.label === "Power state")?.value;
  return (
    <>
      <div>
        <Breadcrumbs crumbs={vm.breadcrumbs} customerId={customerId} />
        <ObjectHeader
          kind="vm"
          name={vm.name}
          badges={
            <>
              {typeof power === "string" && <Badge tone={power === "poweredOn" ? "green" : "neutral"}>{formatPowerState(power)}</Badge>}
              {vm.template && <Badge tone="neutral">template</Badge>}
              {vm.verdict && <Badge tone={VERDICT_TONE[vm.verdict.verdict]}>{vm.verdict.verdictLabel}</Badge>}
            </>
          }
        />
      </div>

      <ObjectSection id="topology-heading" title="Topology" description="The hypervisor it runs on, and the container engine it is.">
        <div className="space-y-2 px-4 py-3 text-sm text-slate-800 dark:text-slate-200">
          <p data-topology="host">
            {t.host ? (
              <>
                Runs on hypervisor <ObjectLink customerId={customerId} kind="host" id={t.host.id}>{t.host.name}</ObjectLink>
                {t.host.cluster && <> in cluster {t.host.cluster}</>}.
              </>
            ) : (
              "Its hypervisor host is not in the inventory."
            )}
          </p>
          {t.engineHosts.length === 0 ? (
            <p>No container engine was matched to this VM.</p>
          ) : (
            t.engineHosts.map((h) => (
              <p key={h.id} data-topology="engine">
                It is container engine <ObjectLink customerId={customerId} kind="host" id={h.id}>{h.name}</ObjectLink> ({h.platform}
                {h.vmLinkKey && <>, matched by {LINK_KEYS[h.vmLinkKey] ?? h.vmLinkKey}</>}), running {pluralize(h.containers.length, "container")}.
              </p>
            ))
          )}
        </div>
        {t.engineHosts.some((h) => h.containers.length > 0) && (
          <ListTable caption={`Containers in ${vm.name}`} head={["Container", "Engine host", "State", "Image"]}>
            {t.engineHosts.flatMap((h) =>
              h.containers.map((c) => (
                <tr key={c.id} data-container={c.name}>
                  <td className={cell}>
                    <ObjectLink customerId={customerId} kind="container" id={c.id}>{c.name}</ObjectLink>
                  </td>
                  <td className={cell}>{h.name}</td>
                  <td className={cell}>{formatWord(c.state)}</td>
                  <td className={cell}>{c.imageId ? <ObjectLink customerId={customerId} kind="image" id={c.imageId}>{c.image}</ObjectLink> : c.image}</td>
                </tr>
              )),
            )}
          </ListTable>
        )}
      </ObjectSection>

      {vm.template ? (
        <ObjectSection id="verdict-heading" title="Role and evidence">
          <Nothing>A template is not a workload: no verdict, listed apart from the candidates and savings.</Nothing>
        </ObjectSection>
      ) : (
        <VerdictSection verdict={vm.verdict} guestMissing={vm.guestDiscoveryMissing} />
      )}

      <GuestSection vm={vm} />

      <ObjectSection id="use-heading" title="Measured use" description="At the sizing percentile over the period; what it asks for.">
        {vm.use ? (
          <dl className="grid gap-x-6 gap-y-2 px-4 py-3 text-sm sm:grid-cols-2 lg:grid-cols-4" data-use={vm.use.status}>
            <Figure label="Status" value={formatWord(vm.use.status)} />
            <Figure label="CPU" value={pct(vm.use.cpuPercent)} />
            <Figure label="Memory used" value={vm.use.memoryDemandMiB === null ? null : formatMiB(vm.use.memoryDemandMiB)} />
            <Figure label="CPU ready" value={pct(vm.use.readyPercent)} />
            <Figure label="Suggested vCPUs" value={vm.use.suggestedVcpus === null ? null : `${vm.use.vcpus} → ${vm.use.suggestedVcpus}`} />
            <Figure label="Suggested memory" value={vm.use.suggestedMemoryMiB === null ? null : `${formatMiB(vm.use.memoryMiB)} → ${formatMiB(vm.use.suggestedMemoryMiB)}`} />
            <Figure label="Reclaimable" value={`${pluralize(vm.use.reclaimVcpus, "vCPU")}, ${formatMiB(vm.use.reclaimMemoryMiB)} RAM, ${formatMiB(vm.use.reclaimDiskMiB)} disk`} />
            <Figure label="Hours measured" value={formatCount(vm.use.measuredHours)} />
            <div className="sm:col-span-2 lg:col-span-4">
              <dt className="text-xs font-medium text-slate-500 dark:text-slate-400">Why</dt>
              <dd className="text-slate-900 dark:text-slate-100">{vm.use.reason}</dd>
            </div>
          </dl>
        ) : (
          <Nothing>Not measured: templates are not sized.</Nothing>
        )}
        <div className="border-t border-slate-100 dark:border-slate-800">
          <UtilisationHistoryCharts
            customerId={customerId}
            objectKind="virtualMachine"
            objectKey={vm.id}
            empty={{ title: "No measured use over time", text: "Insufficient data: this VM's source gave no history (vCenter and libvirt sources do; RVTools exports carry none)." }}
          />
        </div>
      </ObjectSection>

      <Properties properties={vm.properties} />

      <ObjectSection id="disks-heading" title={`Disks (${vm.disks.length})`}>
        {vm.disks.length === 0 ? (
          <Nothing>The source listed no disks.</Nothing>
        ) : (
          <ListTable caption={`Disks of ${vm.name}`} head={["Disk", "Capacity", "Thin", "Mode", "RDM", "Sharing", "Datastore"]}>
            {vm.disks.map((d) => (
              <tr key={d.key}>
                <td className={cell}>{d.label ?? d.key}</td>
                <td className={`${cell} tabular-nums whitespace-nowrap`}>{formatMiB(d.capacityMiB)}</td>
                <td className={cell}>{d.thin === null ? muted : d.thin ? "Yes" : "No"}</td>
                <td className={cell}>{d.mode}</td>
                <td className={cell}>{d.rdm}</td>
                <td className={cell}>{d.sharing}</td>
                <td className={cell}>{d.datastore ?? muted}</td>
              </tr>
            ))}
          </ListTable>
        )}
      </ObjectSection>

      <Findings findings={vm.findings} what="virtual machine" />
      <CollectionHistory history={vm.history} />
    </>
  );
}

function GuestSection({ vm }: { vm: Vm }) {
  const g = vm.guest;
  return (
    <ObjectSection id="guest-heading" title="Guest discovery" description="What was read inside the guest over ssh, newest facts.">
      {!g && vm.guestDiscoveryMissing ? (
        <p className="px-4 py-3 text-sm text-amber-900 dark:text-amber-200" data-guest="missing">
          Insufficient data: run guest discovery. Nothing has been read inside this VM: add a Linux guests (ssh) source that
          reaches it, and its software, listeners and use appear here.
        </p>
      ) : !g ? (
        <p className="px-4 py-3 text-sm text-slate-600 dark:text-slate-400" data-guest="not-read">
          Nothing read inside this VM. Guest discovery reads powered-on Linux guests over ssh; this one is{" "}
          {vm.template ? "a template" : vm.properties.find((p) => p.label === "OS family")?.value === "windows" ? "a Windows guest" : "not known to run Linux"}, so its verdict rests
          on its configuration.
        </p>
      ) : (
        <dl className="grid gap-x-6 gap-y-2 px-4 py-3 text-sm sm:grid-cols-2 lg:grid-cols-3" data-guest="read">
          <Figure label="Read" value={formatDateTime(g.collectedAt)} />
          <Figure label="Reached as" value={g.target} />
          <Figure label="Matched by" value={g.match} />
          <Figure label="OS" value={g.os} />
          <Figure label="Kernel" value={g.kernel} />
          <Figure label="CPU busy" value={pct(g.cpuBusyPercent)} />
          <Figure label="Memory used" value={g.memoryUsedMiB === null ? null : `${formatMiB(g.memoryUsedMiB)} of ${formatMiB(g.memoryTotalMiB)}`} />
          <Figure label="Disk used" value={g.diskUsedMiB === null ? null : `${formatMiB(g.diskUsedMiB)} of ${formatMiB(g.diskTotalMiB)}`} />
          <Figure label="Processes · listeners · connections" value={`${g.processes} · ${g.listeners} · ${g.connections}`} />
          <div className="sm:col-span-2 lg:col-span-3">
            <dt className="text-xs font-medium text-slate-500 dark:text-slate-400">Software</dt>
            <dd className="text-slate-900 dark:text-slate-100">{g.software.length > 0 ? g.software.join(", ") : muted}</dd>
          </div>
          {g.unread.length > 0 && (
            <div className="sm:col-span-2 lg:col-span-3">
              <dt className="text-xs font-medium text-slate-500 dark:text-slate-400">Not read</dt>
              <dd className="text-slate-900 dark:text-slate-100">{g.unread.join("; ")}</dd>
            </div>
          )}
        </dl>
      )}
    </ObjectSection>
  );
}
