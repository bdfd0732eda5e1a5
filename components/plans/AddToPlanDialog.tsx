"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/trpc";
import type { VerdictValue } from "@/server/analysis/labels";
import { MIGRATION_TARGETS, TARGET_LABEL, targetOfVerdict, type MigrationTarget } from "@/server/plans/labels";
import { describeError } from "../errors";
import { planHref } from "../links";
import { Button } from "../ui/Button";
import { cx, focusRing } from "../ui/cx";
import { inputClasses, selectClasses } from "../ui/Field";

export interface SelectedWorkload {
  key: string;
  kind: "vm" | "container";
  name: string;
  verdict: VerdictValue;
}

const NEW = "__new__";

/**
 * "Add to plan…": the selected workloads into a wave of a plan (or a new plan, a new wave). Each
 * gets its verdict's target unless one target is chosen for all; a target other than a workload's
 * verdict needs a reason (the server refuses it without one, and adds nothing).
 */
export function AddToPlanDialog({
  open,
  customerId,
  workloads,
  onClose,
  onAdded,
}: {
  open: boolean;
  customerId: string;
  workloads: SelectedWorkload[];
  onClose: () => void;
  onAdded: (result: { planId: string; planName: string; waveName: string; added: number }) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  const plans = useQuery({ ...trpc.plans.list.queryOptions({ customerId }), enabled: open });
  const [planId, setPlanId] = useState("");
  const [planName, setPlanName] = useState("");
  const [waveId, setWaveId] = useState("");
  const [waveName, setWaveName] = useState("");
  const [target, setTarget] = useState<MigrationTarget | "verdict">("verdict");
  const [reason, setReason] = useState("");
  const createPlan = useMutation(trpc.plans.create.mutationOptions());
  const addWave = useMutation(trpc.plans.addWave.mutationOptions());
  const addWorkloads = useMutation(trpc.plans.addWorkloads.mutationOptions());
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  // Default: the newest plan and its last wave; a new plan when there is none.
  const list = plans.data ?? [];
  const chosenPlan = planId === "" ? (list[0]?.id ?? NEW) : planId;
  const plan = list.find((p) => p.id === chosenPlan);
  const waves = plan?.waves ?? [];
  const chosenWave = waveId === NEW || waves.some((w) => w.id === waveId) ? waveId : (waves.at(-1)?.id ?? NEW);
  const overriding = target !== "verdict" && workloads.some((w) => targetOfVerdict(w.verdict) !== target);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      let pid = chosenPlan;
      let pname = plan?.name ?? planName.trim();
      if (pid === NEW) {
        const created = await createPlan.mutateAsync({ customerId, name: planName.trim() });
        pid = created.id;
        pname = created.name;
      }
      let wid = chosenWave;
      let wname = waves.find((w) => w.id === wid)?.name ?? waveName.trim();
      if (pid !== chosenPlan || wid === NEW) {
        wname = waveName.trim() || "Wave 1";
        wid = (await addWave.mutateAsync({ customerId, planId: pid, name: wname })).id;
      }
      const result = await addWorkloads.mutateAsync({
        customerId,
        waveId: wid,
        workloads: workloads.map((w) => ({
          kind: w.kind,
          objectId: w.key,
          ...(target === "verdict" ? {} : { target, reason: targetOfVerdict(w.verdict) === target ? null : reason }),
        })),
      });
      await queryClient.invalidateQueries(trpc.plans.pathFilter());
      onAdded({ planId: pid, planName: pname, waveName: wname, added: result.added });
    } catch (e) {
      setError(e);
      await queryClient.invalidateQueries(trpc.plans.pathFilter());
    } finally {
      setBusy(false);
    }
  };

  const label = "mb-1 block text-xs font-medium text-slate-700 dark:text-slate-300";
  return (
    <dialog
      ref={ref}
      aria-labelledby={`${id}-title`}
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) onClose();
      }}
      className="m-auto w-full max-w-lg rounded-lg border border-slate-200 bg-white p-0 text-slate-900 shadow-xl backdrop:bg-slate-900/40 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
    >
      {open && (
        <form className="space-y-3 p-5" onSubmit={submit} aria-label="Add to plan">
          <h2 id={`${id}-title`} className="text-base font-semibold">
            Add {workloads.length} workload{workloads.length === 1 ? "" : "s"} to a plan
          </h2>
          <p className="text-xs text-slate-600 dark:text-slate-400">
            {workloads.slice(0, 6).map((w) => w.name).join(", ")}
            {workloads.length > 6 && ` and ${workloads.length - 6} more`}
          </p>
          {plans.isError && <p role="alert" className="text-sm text-red-700">{describeError(plans.error)}</p>}
          <div>
            <label className={label} htmlFor={`${id}-plan`}>Plan</label>
            <select id={`${id}-plan`} className={selectClasses} value={chosenPlan} onChange={(e) => { setPlanId(e.target.value); setWaveId(""); }} disabled={plans.isPending}>
              {list.map((p) => (
                <option key={p.id} value={p.id}>{p.name}</option>
              ))}
              <option value={NEW}>New plan…</option>
            </select>
          </div>
          {chosenPlan === NEW && (
            <div>
              <label className={label} htmlFor={`${id}-plan-name`}>New plan&apos;s name</label>
              <input id={`${id}-plan-name`} className={inputClasses} value={planName} onChange={(e) => setPlanName(e.target.value)} maxLength={200} required />
            </div>
          )}
          <div>
            <label className={label} htmlFor={`${id}-wave`}>Wave</label>
            <select id={`${id}-wave`} className={selectClasses} value={chosenWave} onChange={(e) => setWaveId(e.target.value)}>
              {waves.map((w, i) => (
                <option key={w.id} value={w.id}>{i + 1}. {w.name}</option>
              ))}
              <option value={NEW}>New wave…</option>
            </select>
          </div>
          {chosenWave === NEW && (
            <div>
              <label className={label} htmlFor={`${id}-wave-name`}>New wave&apos;s name</label>
              <input id={`${id}-wave-name`} className={inputClasses} value={waveName} onChange={(e) => setWaveName(e.target.value)} maxLength={200} placeholder="Wave 1" />
            </div>
          )}
          <div>
            <label className={label} htmlFor={`${id}-target`}>Target</label>
            <select id={`${id}-target`} className={selectClasses} value={target} onChange={(e) => setTarget(e.target.value as MigrationTarget | "verdict")}>
              <option value="verdict">Each workload&apos;s verdict</option>
              {MIGRATION_TARGETS.map((t) => (
                <option key={t} value={t}>{TARGET_LABEL[t]}</option>
              ))}
            </select>
          </div>
          {overriding && (
            <div>
              <label className={label} htmlFor={`${id}-reason`}>Reason for overriding the verdict</label>
              <input id={`${id}-reason`} className={inputClasses} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} required />
            </div>
          )}
          {error != null && (
            <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950/50 dark:text-red-200">
              {describeError(error)}
            </p>
          )}
          <div className="flex justify-end gap-2 pt-2">
            <Button onClick={onClose} disabled={busy}>
              Cancel
            </Button>
            <Button type="submit" variant="primary" busy={busy} disabled={plans.isPending || (chosenPlan === NEW && !planName.trim()) || (overriding && !reason.trim())}>
              Add to plan
            </Button>
          </div>
        </form>
      )}
    </dialog>
  );
}

/** After adding: which plan, with a link to it. */
export function AddedNotice({ customerId, result, onDismiss }: { customerId: string; result: { planId: string; planName: string; waveName: string; added: number }; onDismiss: () => void }) {
  return (
    <div role="status" className="flex flex-wrap items-center justify-between gap-2 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900 dark:border-emerald-900 dark:bg-emerald-950/50 dark:text-emerald-100">
      <span>
        Added {result.added} workload{result.added === 1 ? "" : "s"} to {result.planName}, wave {result.waveName}.{" "}
        <Link href={planHref(customerId, result.planId)} className={cx("rounded font-medium underline", focusRing)}>
          Open the plan
        </Link>
      </span>
      <Button size="sm" variant="ghost" onClick={onDismiss}>
        Dismiss
      </Button>
    </div>
  );
}
