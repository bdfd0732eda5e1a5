"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/trpc";
import { useIsEngineer } from "../auth/useIsAdmin";
import { describeError } from "../errors";
import { planHref } from "../links";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { cx, focusRing } from "../ui/cx";
import { EmptyState } from "../ui/EmptyState";
import { QueryError } from "../ui/ErrorMessage";
import { Field, inputClasses } from "../ui/Field";
import { LoadingBlock } from "../ui/Spinner";
import { TotalsLine } from "./parts";

/** The customer's migration plans: each with its waves and totals; engineers create new ones. */
export function PlansPanel({ customerId, customerName }: { customerId: string; customerName: string }) {
  const trpc = useTRPC();
  const canEdit = useIsEngineer();
  const plans = useQuery(trpc.plans.list.queryOptions({ customerId }));

  if (plans.isPending) return <LoadingBlock label="Loading plans…" />;
  if (plans.isError) return <QueryError title="Could not load the migration plans" query={plans} />;

  return (
    <section aria-labelledby="plans-heading" className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 id="plans-heading" className="text-lg font-semibold">
            Migration plans
          </h2>
          <p className="text-sm text-slate-600 dark:text-slate-400">
            Waves of {customerName}&apos;s workloads, each with its target; what each wave frees, and the dependencies it splits.
            {!canEdit && " Engineers and administrators edit plans; you can read them."}
          </p>
        </div>
      </div>
      {canEdit && <CreatePlanForm customerId={customerId} />}
      {plans.data.length === 0 ? (
        <Card>
          <EmptyState title="No migration plans yet">
            {canEdit
              ? "Create a plan above, then add workloads to its waves here or from the Migration tab's verdict table (select rows, then “Add to plan…”)."
              : "An engineer has not planned any migration for this customer yet."}
          </EmptyState>
        </Card>
      ) : (
        <ul className="space-y-3" aria-label="Plans">
          {plans.data.map((p) => (
            <li key={p.id}>
              <Card className="px-4 py-3">
                <div className="flex flex-wrap items-center justify-between gap-2">
                  <div className="flex flex-wrap items-center gap-2">
                    <Link href={planHref(customerId, p.id)} className={cx("rounded text-base font-semibold text-brand-700 hover:underline dark:text-brand-300", focusRing)}>
                      {p.name}
                    </Link>
                    {p.inProgress && <Badge tone="amber">In progress</Badge>}
                    {p.splitDependencies > 0 && <Badge tone="red">{p.splitDependencies} split dependenc{p.splitDependencies === 1 ? "y" : "ies"}</Badge>}
                  </div>
                  <span className="text-sm text-slate-600 dark:text-slate-400">
                    {p.waves.length} wave{p.waves.length === 1 ? "" : "s"}, {p.workloads} workload{p.workloads === 1 ? "" : "s"}
                  </span>
                </div>
                <div className="mt-1 text-sm text-slate-700 dark:text-slate-300">
                  Frees <TotalsLine totals={p.totals} />
                </div>
                {p.waves.length > 0 && (
                  <ol className="mt-2 flex flex-wrap gap-2 text-xs text-slate-600 dark:text-slate-400" aria-label={`Waves of ${p.name}`}>
                    {p.waves.map((w, i) => (
                      <li key={w.id} className="rounded border border-slate-200 px-2 py-0.5 dark:border-slate-700">
                        {i + 1}. {w.name} · {w.statusLabel}
                        {w.targetDate && ` · ${w.targetDate}`} · {w.workloads}
                      </li>
                    ))}
                  </ol>
                )}
              </Card>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function CreatePlanForm({ customerId }: { customerId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [name, setName] = useState("");
  const id = useId();
  const create = useMutation(
    trpc.plans.create.mutationOptions({
      onSuccess: async (plan) => {
        await queryClient.invalidateQueries(trpc.plans.pathFilter());
        router.push(planHref(customerId, plan.id));
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim()) create.mutate({ customerId, name: name.trim() });
  };
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-2" aria-label="New plan">
      <Field label="New plan" htmlFor={`${id}-name`} className="w-72">
        <input id={`${id}-name`} className={inputClasses} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Q1 2027 moves" maxLength={200} required />
      </Field>
      <Button type="submit" variant="primary" busy={create.isPending} disabled={!name.trim()}>
        Create plan
      </Button>
      {create.isError && (
        <p role="alert" className="w-full text-sm text-red-700 dark:text-red-300">
          {describeError(create.error)}
        </p>
      )}
    </form>
  );
}
