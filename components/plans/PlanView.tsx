"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/trpc";
import { MIGRATION_TARGETS, TARGET_LABEL, TARGETS_OF, WAVE_STATUS_LABEL, WAVE_STATUSES, type MigrationTarget, type WaveStatus } from "@/server/plans/labels";
import type { RouterOutputs } from "../api-types";
import { ExportLink } from "../analysis/parts";
import { useIsEngineer } from "../auth/useIsAdmin";
import { describeError, errorCode } from "../errors";
import { formatMiB } from "../format";
import { customerHref, objectHref } from "../links";
import { Badge, type BadgeTone } from "../ui/Badge";
import { Button, buttonClasses } from "../ui/Button";
import { Card } from "../ui/Card";
import { ConfirmDialog } from "../ui/ConfirmDialog";
import { cx, focusRing } from "../ui/cx";
import { EmptyState } from "../ui/EmptyState";
import { QueryError } from "../ui/ErrorMessage";
import { Field, inputClasses, selectClasses } from "../ui/Field";
import { LoadingBlock } from "../ui/Spinner";
import { formatVcpus, TotalsLine, TotalsTiles } from "./parts";

type Plan = RouterOutputs["plans"]["get"];
type Wave = Plan["waves"][number];
type Workload = Wave["workloads"][number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUS_TONE: Record<WaveStatus, BadgeTone> = { planned: "neutral", in_progress: "amber", done: "green", rolled_back: "red" };

/** One migration plan: its waves, their workloads and figures, the dependencies it splits; engineers edit. */
export function PlanView({ customerId, planId }: { customerId: string; planId: string }) {
  const trpc = useTRPC();
  const valid = UUID.test(customerId) && UUID.test(planId);
  const plan = useQuery({
    ...trpc.plans.get.queryOptions({ customerId, planId }),
    enabled: valid,
    retry: (count, error) => errorCode(error) !== "NOT_FOUND" && count < 1,
  });
  const customer = useQuery({ ...trpc.customers.get.queryOptions({ customerId }), enabled: valid, retry: false });
  const canEdit = useIsEngineer();
  const customerName = customer.data?.name ?? "Customer";

  if (!valid || errorCode(plan.error) === "NOT_FOUND") {
    return (
      <div className="space-y-4">
        <title>Plan not found · Fleetlens</title>
        <Crumbs customerId={customerId} customerName={customerName} name="Plan not found" />
        <Card>
          <EmptyState title="Plan not found" titleAs="h1" action={<Link href={customerHref(customerId, "plans")} className={buttonClasses("primary")}>Back to the plans</Link>}>
            There is no migration plan at this address. It may have been deleted, or the link is incomplete.
          </EmptyState>
        </Card>
      </div>
    );
  }
  if (plan.isPending) return <LoadingBlock label="Loading plan…" />;
  if (plan.isError) return <QueryError title="Could not load this plan" query={plan} />;
  const p = plan.data;
  const exportBase = `/api/export/${encodeURIComponent(customerId)}/waves?plan=${encodeURIComponent(p.id)}`;

  return (
    <div className="space-y-6">
      <title>{`${p.name} · ${customerName} · Fleetlens`}</title>
      <div>
        <Crumbs customerId={customerId} customerName={customerName} name={p.name} />
        <div className="mt-2 flex flex-wrap items-center justify-between gap-3">
          <div className="flex flex-wrap items-center gap-3">
            <h1 className="text-2xl font-semibold tracking-tight">{p.name}</h1>
            {p.inProgress && <Badge tone="amber">In progress</Badge>}
          </div>
          {canEdit && (
            <div className="flex flex-wrap items-center gap-2">
              <ExportLink href={`${exportBase}&format=csv`} label="Waves CSV" />
              <ExportLink href={`${exportBase}&format=xlsx`} label="Waves xlsx" />
            </div>
          )}
        </div>
        <p className="mt-1 text-sm text-slate-500 dark:text-slate-400">
          {p.createdBy ? `Created by ${p.createdBy}` : "Created"} on {p.createdAt.slice(0, 10)}; changed {p.updatedAt.slice(0, 10)}.
        </p>
      </div>

      {canEdit ? <PlanHeaderForm customerId={customerId} plan={p} /> : p.notes && <p className="whitespace-pre-line text-sm text-slate-700 dark:text-slate-300">{p.notes}</p>}

      <section aria-labelledby="totals-heading" className="space-y-2">
        <h2 id="totals-heading" className="text-lg font-semibold">
          What the plan frees
        </h2>
        <TotalsTiles totals={p.totals} label="Plan totals" />
        <HowComputed plan={p} />
      </section>

      {p.dependencies.length > 0 && (
        <section aria-labelledby="deps-heading" className="space-y-2">
          <h2 id="deps-heading" className="text-lg font-semibold">
            Dependencies split by the plan ({p.dependencies.length})
          </h2>
          <p className="text-sm text-slate-600 dark:text-slate-400">Workloads that talk to each other (guest discovery&apos;s connections) but sit in different waves, or one of them outside the plan.</p>
          <ul className="space-y-1 text-sm" aria-label="Split dependencies">
            {p.dependencies.map((d) => (
              <li key={`${d.client.key}-${d.server.key}-${d.port}-${d.protocol}`} className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-amber-900 dark:border-amber-900 dark:bg-amber-950/50 dark:text-amber-100">
                <Badge tone={d.split === "waves" ? "amber" : "red"}>{d.split === "waves" ? "Different waves" : "One outside the plan"}</Badge> {d.evidence}
              </li>
            ))}
          </ul>
        </section>
      )}

      <section aria-labelledby="waves-heading" className="space-y-3">
        <h2 id="waves-heading" className="text-lg font-semibold">
          Waves ({p.waves.length})
        </h2>
        {p.waves.length === 0 && (
          <Card>
            <EmptyState title="No waves yet">{canEdit ? "Add the first wave below." : "An engineer has not added waves to this plan yet."}</EmptyState>
          </Card>
        )}
        {p.waves.map((w, i) => (
          <WaveCard key={w.id} customerId={customerId} plan={p} wave={w} index={i} canEdit={canEdit} exportBase={exportBase} />
        ))}
        {canEdit && <AddWaveForm customerId={customerId} planId={p.id} />}
      </section>
    </div>
  );
}

function Crumbs({ customerId, customerName, name }: { customerId: string; customerName: string; name: string }) {
  const link = cx("rounded hover:text-slate-900 dark:hover:text-slate-100", focusRing);
  return (
    <nav aria-label="Breadcrumb" className="text-sm text-slate-500 dark:text-slate-400">
      <ol className="flex flex-wrap items-center gap-1.5">
        <li>
          <Link href="/" className={link}>Fleet</Link>
        </li>
        <li aria-hidden="true">/</li>
        <li>
          <Link href={customerHref(customerId)} className={link}>{customerName}</Link>
        </li>
        <li aria-hidden="true">/</li>
        <li>
          <Link href={customerHref(customerId, "plans")} className={link}>Plans</Link>
        </li>
        <li aria-hidden="true">/</li>
        <li aria-current="page" className="truncate text-slate-700 dark:text-slate-200">{name}</li>
      </ol>
    </nav>
  );
}

/** How the figures are computed, with the per-cluster packing behind "hosts freed". */
function HowComputed({ plan }: { plan: Plan }) {
  return (
    <details className="text-sm text-slate-700 dark:text-slate-300">
      <summary className={cx("cursor-pointer rounded text-brand-700 hover:text-brand-900 dark:text-brand-300", focusRing)}>How these figures are computed</summary>
      <div className="mt-2 space-y-2">
        <p>
          Per workload, by target: <strong>retire</strong> frees its vCPUs and RAM when powered on and its disk as used on the datastore; <strong>stay</strong> frees nothing;{" "}
          <strong>container</strong> and <strong>Kata</strong> free the OS copy the verdict computes (measured by guest discovery when the guest was read, else the OS footprint), Kata less its per-pod
          overhead (kata-deploy&apos;s RuntimeClass); a <strong>system container</strong> frees only the guest kernel (its RAM and its package on disk), the userland stays; <strong>KubeVirt</strong> rehosts the VM whole, so nothing is freed net, but its share leaves its hypervisor cluster. Each workload&apos;s row says where its figures come from.
        </p>
        <p>
          Hosts freed: per cluster, the hosts needed at the target ratios (fewest hosts, largest first) for today&apos;s powered-on VMs, less those needed once the workloads&apos; shares have left. Packing is not
          additive: the waves&apos; hosts freed need not add up to the plan&apos;s.
        </p>
        {plan.clusters.length > 0 && (
          <table className="text-xs" aria-label="Hosts freed per cluster">
            <thead>
              <tr className="text-left text-slate-500">
                <th className="pr-4 font-medium">Cluster</th>
                <th className="pr-4 text-right font-medium">Hosts</th>
                <th className="pr-4 text-right font-medium">Needed now</th>
                <th className="pr-4 text-right font-medium">Needed after</th>
                <th className="pr-4 text-right font-medium">Freed</th>
                <th className="text-right font-medium">Leaving (vCPU / RAM)</th>
              </tr>
            </thead>
            <tbody className="tabular-nums">
              {plan.clusters.map((c) => (
                <tr key={c.cluster}>
                  <td className="pr-4">{c.cluster}</td>
                  <td className="pr-4 text-right">{c.hosts}</td>
                  <td className="pr-4 text-right">{c.neededNow}</td>
                  <td className="pr-4 text-right">{c.neededAfter}</td>
                  <td className="pr-4 text-right">{c.hostsFreed}</td>
                  <td className="text-right">
                    {formatVcpus(c.leavingVcpus)} / {formatMiB(c.leavingMemoryMiB)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </details>
  );
}

function useInvalidate() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries(trpc.plans.pathFilter());
}

function PlanHeaderForm({ customerId, plan }: { customerId: string; plan: Plan }) {
  const trpc = useTRPC();
  const invalidate = useInvalidate();
  const router = useRouter();
  const id = useId();
  const [name, setName] = useState(plan.name);
  const [notes, setNotes] = useState(plan.notes);
  const [confirm, setConfirm] = useState(false);
  const update = useMutation(trpc.plans.update.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(
    trpc.plans.delete.mutationOptions({
      onSuccess: async () => {
        await invalidate();
        router.push(customerHref(customerId, "plans"));
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    update.mutate({ customerId, planId: plan.id, name: name.trim(), notes });
  };
  return (
    <form onSubmit={submit} aria-label="Plan name and notes" className="flex flex-wrap items-end gap-2">
      <Field label="Name" htmlFor={`${id}-name`} className="w-72">
        <input id={`${id}-name`} className={inputClasses} value={name} onChange={(e) => setName(e.target.value)} maxLength={200} required />
      </Field>
      <Field label="Notes" htmlFor={`${id}-notes`} className="min-w-72 flex-1">
        <input id={`${id}-notes`} className={inputClasses} value={notes} onChange={(e) => setNotes(e.target.value)} maxLength={5000} />
      </Field>
      <Button type="submit" busy={update.isPending} disabled={!name.trim() || (name.trim() === plan.name && notes === plan.notes)}>
        Save
      </Button>
      <Button variant="danger" onClick={() => setConfirm(true)}>
        Delete plan
      </Button>
      {update.isError && <p role="alert" className="w-full text-sm text-red-700 dark:text-red-300">{describeError(update.error)}</p>}
      <ConfirmDialog
        open={confirm}
        title={`Delete the plan ${plan.name}?`}
        confirmLabel="Delete plan"
        destructive
        busy={remove.isPending}
        error={remove.error}
        onConfirm={() => remove.mutate({ customerId, planId: plan.id })}
        onCancel={() => setConfirm(false)}
      >
        Its {plan.waves.length} waves and their workloads go with it. The inventory is not touched.
      </ConfirmDialog>
    </form>
  );
}

interface WaveFormValues {
  name: string;
  owner: string;
  targetDate: string;
  status: WaveStatus;
  notes: string;
}

function WaveFields({ values, onChange, idPrefix }: { values: WaveFormValues; onChange: (v: WaveFormValues) => void; idPrefix: string }) {
  const set = <K extends keyof WaveFormValues>(key: K, value: WaveFormValues[K]) => onChange({ ...values, [key]: value });
  return (
    <>
      <Field label="Wave name" htmlFor={`${idPrefix}-name`} className="w-56">
        <input id={`${idPrefix}-name`} className={inputClasses} value={values.name} onChange={(e) => set("name", e.target.value)} maxLength={200} required />
      </Field>
      <Field label="Owner" htmlFor={`${idPrefix}-owner`} className="w-44">
        <input id={`${idPrefix}-owner`} className={inputClasses} value={values.owner} onChange={(e) => set("owner", e.target.value)} maxLength={200} />
      </Field>
      <Field label="Target date" htmlFor={`${idPrefix}-date`} className="w-40">
        <input id={`${idPrefix}-date`} type="date" className={inputClasses} value={values.targetDate} onChange={(e) => set("targetDate", e.target.value)} />
      </Field>
      <Field label="Status" htmlFor={`${idPrefix}-status`} className="w-36">
        <select id={`${idPrefix}-status`} className={selectClasses} value={values.status} onChange={(e) => set("status", e.target.value as WaveStatus)}>
          {WAVE_STATUSES.map((s) => (
            <option key={s} value={s}>{WAVE_STATUS_LABEL[s]}</option>
          ))}
        </select>
      </Field>
      <Field label="Notes" htmlFor={`${idPrefix}-notes`} className="min-w-56 flex-1">
        <input id={`${idPrefix}-notes`} className={inputClasses} value={values.notes} onChange={(e) => set("notes", e.target.value)} maxLength={5000} />
      </Field>
    </>
  );
}

function AddWaveForm({ customerId, planId }: { customerId: string; planId: string }) {
  const trpc = useTRPC();
  const invalidate = useInvalidate();
  const id = useId();
  const empty: WaveFormValues = { name: "", owner: "", targetDate: "", status: "planned", notes: "" };
  const [values, setValues] = useState(empty);
  const add = useMutation(
    trpc.plans.addWave.mutationOptions({
      onSuccess: async () => {
        setValues(empty);
        await invalidate();
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate({ customerId, planId, ...values, name: values.name.trim(), targetDate: values.targetDate || null });
  };
  return (
    <Card className="px-4 py-3">
      <form onSubmit={submit} aria-label="Add a wave" className="flex flex-wrap items-end gap-2">
        <WaveFields values={values} onChange={setValues} idPrefix={`${id}-new`} />
        <Button type="submit" variant="primary" busy={add.isPending} disabled={!values.name.trim()}>
          Add wave
        </Button>
        {add.isError && <p role="alert" className="w-full text-sm text-red-700 dark:text-red-300">{describeError(add.error)}</p>}
      </form>
    </Card>
  );
}

function WaveCard({ customerId, plan, wave, index, canEdit, exportBase }: { customerId: string; plan: Plan; wave: Wave; index: number; canEdit: boolean; exportBase: string }) {
  const trpc = useTRPC();
  const invalidate = useInvalidate();
  const id = useId();
  const [editing, setEditing] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const [values, setValues] = useState<WaveFormValues>({ name: wave.name, owner: wave.owner, targetDate: wave.targetDate ?? "", status: wave.status, notes: wave.notes });
  const update = useMutation(trpc.plans.updateWave.mutationOptions({ onSuccess: async () => { setEditing(false); await invalidate(); } }));
  const move = useMutation(trpc.plans.moveWave.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(trpc.plans.deleteWave.mutationOptions({ onSuccess: async () => { setConfirm(false); await invalidate(); } }));
  const kubevirt = wave.workloads.filter((w) => w.kind === "vm" && w.target === "kubevirt").length;
  const headingId = `${id}-heading`;

  return (
    <Card as="section" className="px-4 py-3">
      <div aria-labelledby={headingId} data-wave={wave.name}>
        <div className="flex flex-wrap items-center justify-between gap-2">
          <div className="flex flex-wrap items-center gap-2">
            <h3 id={headingId} className="text-base font-semibold">
              Wave {index + 1}: {wave.name}
            </h3>
            <Badge tone={STATUS_TONE[wave.status]}>{wave.statusLabel}</Badge>
            {wave.owner && <span className="text-sm text-slate-600 dark:text-slate-400">Owner {wave.owner}</span>}
            {wave.targetDate && <span className="text-sm text-slate-600 dark:text-slate-400">Target {wave.targetDate}</span>}
          </div>
          {canEdit && (
            <div className="flex flex-wrap items-center gap-1">
              <Button size="sm" variant="ghost" disabled={index === 0 || move.isPending} onClick={() => move.mutate({ customerId, waveId: wave.id, position: index - 1 })} aria-label={`Move wave ${wave.name} up`}>
                ↑
              </Button>
              <Button size="sm" variant="ghost" disabled={index === plan.waves.length - 1 || move.isPending} onClick={() => move.mutate({ customerId, waveId: wave.id, position: index + 1 })} aria-label={`Move wave ${wave.name} down`}>
                ↓
              </Button>
              <Button size="sm" onClick={() => setEditing((e) => !e)} aria-expanded={editing}>
                Edit wave
              </Button>
              <Button size="sm" variant="danger" onClick={() => setConfirm(true)}>
                Delete
              </Button>
              {kubevirt > 0 && <ExportLink href={`${exportBase}&format=forklift&wave=${encodeURIComponent(wave.id)}`} label={`Forklift plan (${kubevirt} VM${kubevirt === 1 ? "" : "s"})`} />}
            </div>
          )}
        </div>
        <p className="mt-1 text-sm text-slate-700 dark:text-slate-300" data-wave-totals={JSON.stringify(wave.totals)}>
          Frees <TotalsLine totals={wave.totals} />
        </p>
        {wave.notes && !editing && <p className="mt-1 whitespace-pre-line text-sm text-slate-600 dark:text-slate-400">{wave.notes}</p>}
        {editing && (
          <form
            className="mt-2 flex flex-wrap items-end gap-2"
            aria-label={`Edit wave ${wave.name}`}
            onSubmit={(e) => {
              e.preventDefault();
              update.mutate({ customerId, waveId: wave.id, ...values, name: values.name.trim(), targetDate: values.targetDate || null });
            }}
          >
            <WaveFields values={values} onChange={setValues} idPrefix={`${id}-edit`} />
            <Button type="submit" variant="primary" busy={update.isPending} disabled={!values.name.trim()}>
              Save wave
            </Button>
            {update.isError && <p role="alert" className="w-full text-sm text-red-700 dark:text-red-300">{describeError(update.error)}</p>}
          </form>
        )}
        {move.isError && <p role="alert" className="mt-1 text-sm text-red-700 dark:text-red-300">{describeError(move.error)}</p>}
        <WorkloadsTable customerId={customerId} plan={plan} wave={wave} canEdit={canEdit} />
        <ConfirmDialog
          open={confirm}
          title={`Delete wave ${wave.name}?`}
          confirmLabel="Delete wave"
          destructive
          busy={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate({ customerId, waveId: wave.id })}
          onCancel={() => setConfirm(false)}
        >
          Its {wave.workloads.length} workloads leave the plan (they stay in the inventory).
        </ConfirmDialog>
      </div>
    </Card>
  );
}

function WorkloadsTable({ customerId, plan, wave, canEdit }: { customerId: string; plan: Plan; wave: Wave; canEdit: boolean }) {
  if (wave.workloads.length === 0) {
    return (
      <p className="mt-2 text-sm text-slate-500 dark:text-slate-400">
        No workloads in this wave yet{canEdit ? ": add them from the Migration tab's verdict table (select rows, then “Add to plan…”)." : "."}
      </p>
    );
  }
  return (
    <div className="mt-2 overflow-x-auto">
      <table className="min-w-full text-sm" aria-label={`Workloads of wave ${wave.name}`}>
        <thead>
          <tr className="border-b border-slate-200 text-left text-xs text-slate-500 dark:border-slate-700 dark:text-slate-400">
            <th className="py-1.5 pr-3 font-medium">Workload</th>
            <th className="py-1.5 pr-3 font-medium">Verdict</th>
            <th className="py-1.5 pr-3 font-medium">Target</th>
            <th className="py-1.5 pr-3 text-right font-medium">vCPUs</th>
            <th className="py-1.5 pr-3 text-right font-medium">RAM</th>
            <th className="py-1.5 pr-3 text-right font-medium">Disk</th>
            <th className="py-1.5 pr-3 font-medium">Where the figures come from</th>
            {canEdit && <th className="py-1.5 font-medium"><span className="sr-only">Edit</span></th>}
          </tr>
        </thead>
        <tbody>
          {wave.workloads.map((w) => (
            <WorkloadRow key={w.id} customerId={customerId} plan={plan} wave={wave} w={w} canEdit={canEdit} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function WorkloadRow({ customerId, plan, wave, w, canEdit }: { customerId: string; plan: Plan; wave: Wave; w: Workload; canEdit: boolean }) {
  const trpc = useTRPC();
  const invalidate = useInvalidate();
  const id = useId();
  const [target, setTarget] = useState<MigrationTarget>(w.target);
  const [reason, setReason] = useState(w.reason ?? "");
  const [waveId, setWaveId] = useState(wave.id);
  const update = useMutation(trpc.plans.updateWorkload.mutationOptions({ onSuccess: invalidate }));
  const move = useMutation(trpc.plans.moveWorkloads.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(trpc.plans.removeWorkloads.mutationOptions({ onSuccess: invalidate }));
  const error = update.error ?? move.error ?? remove.error;
  const needsReason = w.verdictTarget !== target;
  return (
    <tr className="border-b border-slate-100 align-top dark:border-slate-800" data-workload={w.name}>
      <td className="py-1.5 pr-3">
        {w.present ? (
          <Link href={objectHref(customerId, w.kind, w.objectId)} className={cx("rounded font-medium text-brand-700 hover:underline dark:text-brand-300", focusRing)}>
            {w.name}
          </Link>
        ) : (
          <span className="font-medium">{w.name}</span>
        )}
        <div className="text-xs text-slate-500 dark:text-slate-400">
          {w.kind === "vm" ? "VM" : "Container"}
          {w.host && ` · ${w.host}`}
          {!w.present && " · no longer in the inventory"}
        </div>
      </td>
      <td className="py-1.5 pr-3 text-xs">{w.verdictLabel ?? "—"}</td>
      <td className="py-1.5 pr-3">
        <span className="font-medium">{w.targetLabel}</span>
        {w.reason && <div className="text-xs text-slate-500 dark:text-slate-400">Override: {w.reason}</div>}
      </td>
      <td className="py-1.5 pr-3 text-right tabular-nums">{formatVcpus(w.figures.vcpus)}</td>
      <td className="py-1.5 pr-3 text-right tabular-nums">{formatMiB(w.figures.ramMiB)}</td>
      <td className="py-1.5 pr-3 text-right tabular-nums">{formatMiB(w.figures.diskMiB)}</td>
      <td className="max-w-md py-1.5 pr-3 text-xs text-slate-600 dark:text-slate-400">{w.figures.basis}</td>
      {canEdit && (
        <td className="py-1.5">
          <details>
            <summary className={cx("cursor-pointer rounded text-xs text-brand-700 dark:text-brand-300", focusRing)}>Edit</summary>
            <div className="mt-1 w-64 space-y-1.5">
              <label className="block text-xs" htmlFor={`${id}-target`}>Target</label>
              <select id={`${id}-target`} className={selectClasses} value={target} onChange={(e) => setTarget(e.target.value as MigrationTarget)}>
                {MIGRATION_TARGETS.filter((t) => TARGETS_OF[w.kind].includes(t)).map((t) => (
                  <option key={t} value={t}>{TARGET_LABEL[t]}{t === w.verdictTarget ? " (verdict)" : ""}</option>
                ))}
              </select>
              {needsReason && (
                <>
                  <label className="block text-xs" htmlFor={`${id}-reason`}>Reason for the override</label>
                  <input id={`${id}-reason`} className={inputClasses} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} />
                </>
              )}
              <Button size="sm" busy={update.isPending} disabled={needsReason && !reason.trim()} onClick={() => update.mutate({ customerId, workloadId: w.id, target, reason: needsReason ? reason : null })}>
                Save target
              </Button>
              <label className="block text-xs" htmlFor={`${id}-wave`}>Wave</label>
              <select id={`${id}-wave`} className={selectClasses} value={waveId} onChange={(e) => setWaveId(e.target.value)}>
                {plan.waves.map((x) => (
                  <option key={x.id} value={x.id}>{x.name}</option>
                ))}
              </select>
              <div className="flex gap-1">
                <Button size="sm" disabled={waveId === wave.id} busy={move.isPending} onClick={() => move.mutate({ customerId, workloadIds: [w.id], waveId })}>
                  Move
                </Button>
                <Button size="sm" variant="danger" busy={remove.isPending} onClick={() => remove.mutate({ customerId, workloadIds: [w.id] })}>
                  Remove from plan
                </Button>
              </div>
              {error && <p role="alert" className="text-xs text-red-700 dark:text-red-300">{describeError(error)}</p>}
            </div>
          </details>
        </td>
      )}
    </tr>
  );
}
