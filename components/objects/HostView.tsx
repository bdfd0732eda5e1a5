"use client";
/**
 * A host's page: a hypervisor with the VMs on it, or a container engine with the VM it runs in,
 * its containers and images; its density, measured use and isolation posture; findings; history.
 */
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";
import type { RouterOutputs } from "../api-types";
import { formatBytes, formatCount, formatMiB, formatPowerState, formatWord } from "../format";
import { formatRatio, formatScore } from "../analysis/format";
import { UtilisationHistoryCharts } from "../analysis/UtilisationHistoryCharts";
import { Badge } from "../ui/Badge";
import {
  Breadcrumbs,
  cell,
  CollectionHistory,
  Findings,
  isUuid,
  ListTable,
  muted,
  Figure,
  ObjectFrame,
  ObjectHeader,
  ObjectLink,
  objectRetry,
  ObjectSection,
  Properties,
} from "./parts";

type Host = RouterOutputs["objects"]["host"];

const LINK_KEYS: Record<string, string> = { uuid: "UUID", mac: "MAC address", hostname: "hostname" };

export function HostView({ customerId, id }: { customerId: string; id: string }) {
  const trpc = useTRPC();
  const query = useQuery({
    ...trpc.objects.host.queryOptions({ customerId, id }),
    enabled: isUuid(customerId) && isUuid(id),
    retry: objectRetry,
  });
  return (
    <ObjectFrame customerId={customerId} kind="host" id={id} query={query}>
      {(host) => <HostPage customerId={customerId} host={host} />}
    </ObjectFrame>
  );
}

function HostPage({ customerId, host }: { customerId: string; host: Host }) {
  const { topology: t } = host;
  return (
    <>
      <div>
        <Breadcrumbs crumbs={host.breadcrumbs} customerId={customerId} />
        <ObjectHeader
          kind="host"
          name={host.name}
          badges={<Badge tone={host.role === "hypervisor" ? "brand" : "violet"}>{formatWord(host.role)}</Badge>}
        />
      </div>

      <ObjectSection id="topology-heading" title="Topology" description="Where it sits, and what runs on it.">
        <div className="space-y-3 px-4 py-3 text-sm text-slate-800 dark:text-slate-200">
          {t.vm ? (
            <p data-topology="vm">
              Runs in VM <ObjectLink customerId={customerId} kind="vm" id={t.vm.id}>{t.vm.name}</ObjectLink>
              {t.vmLinkKey && <> (matched by {LINK_KEYS[t.vmLinkKey] ?? t.vmLinkKey})</>}
              {t.vm.host && (
                <>
                  {" "}on hypervisor <ObjectLink customerId={customerId} kind="host" id={t.vm.host.id}>{t.vm.host.name}</ObjectLink>
                </>
              )}
              .
            </p>
          ) : host.role === "container-engine" ? (
            <p>Not matched to an inventoried VM (by UUID, MAC address or hostname): a physical host, or its hypervisor is not collected.</p>
          ) : null}
          <p>
            {formatCount(t.virtualMachines.length)} VMs · {formatCount(t.containers.length)} containers · {formatCount(t.images.length)} images
          </p>
        </div>
        {t.virtualMachines.length > 0 && (
          <ListTable caption={`Virtual machines on ${host.name}`} head={["Virtual machine", "Power", "vCPUs", "Memory", "Guest OS"]}>
            {t.virtualMachines.map((v) => (
              <tr key={v.id} data-vm={v.name}>
                <td className={cell}>
                  <ObjectLink customerId={customerId} kind="vm" id={v.id}>{v.name}</ObjectLink>
                  {v.template && <> <Badge tone="neutral">template</Badge></>}
                </td>
                <td className={cell}>{formatPowerState(v.powerState)}</td>
                <td className={`${cell} tabular-nums`}>{formatCount(v.vcpus)}</td>
                <td className={`${cell} tabular-nums whitespace-nowrap`}>{formatMiB(v.memoryMiB)}</td>
                <td className={cell}>{v.guestOsConfigured ?? muted}</td>
              </tr>
            ))}
          </ListTable>
        )}
        {t.containers.length > 0 && (
          <ListTable caption={`Containers on ${host.name}`} head={["Container", "State", "Image"]}>
            {t.containers.map((c) => (
              <tr key={c.id} data-container={c.name}>
                <td className={cell}>
                  <ObjectLink customerId={customerId} kind="container" id={c.id}>{c.name}</ObjectLink>
                </td>
                <td className={cell}>{formatWord(c.state)}</td>
                <td className={cell}>
                  {c.imageId ? <ObjectLink customerId={customerId} kind="image" id={c.imageId}>{c.image}</ObjectLink> : c.image}
                </td>
              </tr>
            ))}
          </ListTable>
        )}
        {t.images.length > 0 && (
          <ListTable caption={`Images on ${host.name}`} head={["Image", "Size"]}>
            {t.images.map((i) => (
              <tr key={i.id} data-image={i.name}>
                <td className={cell}>
                  <ObjectLink customerId={customerId} kind="image" id={i.id}>{i.name}</ObjectLink>
                </td>
                <td className={`${cell} tabular-nums`}>{formatBytes(i.sizeBytes)}</td>
              </tr>
            ))}
          </ListTable>
        )}
      </ObjectSection>

      <Properties properties={host.properties} />

      <ObjectSection id="analysis-heading" title="Density, measured use and isolation" description="From the customer's analyses.">
        <dl className="grid gap-x-6 gap-y-2 px-4 py-3 text-sm sm:grid-cols-2 lg:grid-cols-4">
          <Figure label="vCPU : pCore" value={host.density ? formatRatio(host.density.vcpuPerCore) : null} />
          <Figure label="vRAM : pRAM" value={host.density ? formatRatio(host.density.vramPerPram) : null} />
          <Figure label="Over the density target" value={host.density ? (host.density.overTarget ? "Yes" : "No") : null} />
          <Figure label="Workloads" value={host.density ? formatCount(host.density.workloads) : null} />
          <Figure label="CPU used (percentile)" value={host.use?.cpuUsedPercent != null ? `${host.use.cpuUsedPercent.toFixed(1)} %` : null} />
          <Figure label="Memory used (percentile)" value={host.use?.memoryUsedMiB != null ? formatMiB(host.use.memoryUsedMiB) : null} />
          <Figure label="Measured from" value={host.use?.basis === "host" ? "the host" : host.use?.basis === "vms" ? "its VMs" : null} />
          <Figure label="Container posture" value={host.posture && host.posture.score !== null ? formatScore(host.posture.score) : null} />
        </dl>
      </ObjectSection>

      <Findings findings={host.findings} what="host" />

      <ObjectSection id="history-heading" title="Measured use over time" description="Each metric as collected, at the interval that covers most of the period.">
        <UtilisationHistoryCharts
          customerId={customerId}
          objectKind="host"
          objectKey={host.id}
          empty={{ title: "No measured use", text: "Insufficient data: this host's source gave no history (vCenter and libvirt sources do; RVTools exports carry none)." }}
        />
      </ObjectSection>

      <CollectionHistory history={host.history} />
    </>
  );
}
