"use client";
/**
 * A container's page: the engine host it runs on, the VM that host is and that VM's hypervisor,
 * its image; verdict with reasons and saving, isolation posture, findings, mounts and ports,
 * measured use and collections.
 */
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";
import type { RouterOutputs } from "../api-types";
import { formatBytes, formatWord } from "../format";
import { formatScore, VERDICT_TONE } from "../analysis/format";
import { UtilisationHistoryCharts } from "../analysis/UtilisationHistoryCharts";
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

type Container = RouterOutputs["objects"]["container"];

export function ContainerView({ customerId, id }: { customerId: string; id: string }) {
  const trpc = useTRPC();
  const query = useQuery({
    ...trpc.objects.container.queryOptions({ customerId, id }),
    enabled: isUuid(customerId) && isUuid(id),
    retry: objectRetry,
  });
  return (
    <ObjectFrame customerId={customerId} kind="container" id={id} query={query}>
      {(container) => <ContainerPage customerId={customerId} c={container} />}
    </ObjectFrame>
  );
}

function ContainerPage({ customerId, c }: { customerId: string; c: Container }) {
  const { topology: t } = c;
  const state = c.properties.find((p) => p.label === "State")?.value;
  return (
    <>
      <div>
        <Breadcrumbs crumbs={c.breadcrumbs} customerId={customerId} />
        <ObjectHeader
          kind="container"
          name={c.name}
          badges={
            <>
              {typeof state === "string" && <Badge tone={state === "running" ? "green" : "neutral"}>{formatWord(state)}</Badge>}
              {c.verdict && <Badge tone={VERDICT_TONE[c.verdict.verdict]}>{c.verdict.verdictLabel}</Badge>}
            </>
          }
        />
      </div>

      <ObjectSection id="topology-heading" title="Topology" description="Engine host, the VM it is, the hypervisor, and the image.">
        <dl className="grid gap-x-6 gap-y-2 px-4 py-3 text-sm sm:grid-cols-2 lg:grid-cols-4">
          <Figure
            label="Engine host"
            value={<span data-topology="engine"><ObjectLink customerId={customerId} kind="host" id={t.engineHost.id}>{t.engineHost.name}</ObjectLink> <span className="text-slate-500 dark:text-slate-400">({t.engineHost.platform})</span></span>}
          />
          <Figure label="Runs in VM" value={t.vm ? <span data-topology="vm"><ObjectLink customerId={customerId} kind="vm" id={t.vm.id}>{t.vm.name}</ObjectLink></span> : "Not matched to a VM"} />
          <Figure label="Hypervisor" value={t.hypervisor ? <ObjectLink customerId={customerId} kind="host" id={t.hypervisor.id}>{t.hypervisor.name}</ObjectLink> : null} />
          <Figure
            label="Image"
            value={t.image ? <span data-topology="image"><ObjectLink customerId={customerId} kind="image" id={t.image.id}>{t.image.name}</ObjectLink> <span className="text-slate-500 dark:text-slate-400">({formatBytes(t.image.sizeBytes)})</span></span> : "Not in the engine's image list"}
          />
        </dl>
      </ObjectSection>

      <VerdictSection verdict={c.verdict} />

      <ObjectSection
        id="posture-heading"
        title="Isolation posture"
        description={`How far it is kept from its host and its neighbours (${c.systemContainer ? "LXD's security documentation" : "CIS Docker Benchmark"} rules).`}
      >
        {c.posture ? (
          <dl className="grid gap-x-6 gap-y-2 px-4 py-3 text-sm sm:grid-cols-2 lg:grid-cols-4">
            <Figure label="Isolation" value={c.posture.levelLabel} />
            <Figure label="Score" value={c.posture.scored ? formatScore(c.posture.score) : null} />
            <Figure label="Tenant" value={c.posture.tenant} />
            <Figure label="Scored" value={c.posture.scored ? "Yes" : (c.posture.unscoredReason ?? "No")} />
          </dl>
        ) : (
          <Nothing>No posture: the isolation analysis did not read this container.</Nothing>
        )}
      </ObjectSection>

      <Findings findings={c.findings} what="container" />
      <Properties properties={c.properties} />

      <ObjectSection id="mounts-heading" title={`Mounts (${c.mounts.length}) and ports (${c.ports.length})`}>
        {c.mounts.length === 0 && c.ports.length === 0 && <Nothing>No mounts and no published ports.</Nothing>}
        {c.mounts.length > 0 && (
          <ListTable caption={`Mounts of ${c.name}`} head={["Type", "Source", "Destination", "Read-only"]}>
            {c.mounts.map((m, i) => (
              <tr key={i}>
                <td className={cell}>{m.type}</td>
                <td className={`${cell} break-all font-mono text-xs`}>{m.source ?? muted}</td>
                <td className={`${cell} break-all font-mono text-xs`}>{m.destination}</td>
                <td className={cell}>{m.readOnly ? "Yes" : "No"}</td>
              </tr>
            ))}
          </ListTable>
        )}
        {c.ports.length > 0 && (
          <ListTable caption={`Ports of ${c.name}`} head={["Container port", "Protocol", "Host address", "Host port"]}>
            {c.ports.map((p, i) => (
              <tr key={i}>
                <td className={`${cell} tabular-nums`}>{p.containerPort}</td>
                <td className={cell}>{p.protocol}</td>
                <td className={cell}>{p.hostIp ?? muted}</td>
                <td className={`${cell} tabular-nums`}>{p.hostPort ?? muted}</td>
              </tr>
            ))}
          </ListTable>
        )}
      </ObjectSection>

      <ObjectSection id="history-heading" title="Measured use over time">
        <UtilisationHistoryCharts
          customerId={customerId}
          objectKind="container"
          objectKey={c.id}
          empty={{ title: "No measured use", text: "Insufficient data: its engine's source gave no history for this container." }}
        />
      </ObjectSection>

      <CollectionHistory history={c.history} />
    </>
  );
}
