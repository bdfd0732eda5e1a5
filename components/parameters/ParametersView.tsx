"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/trpc";
import type { RouterOutputs } from "../api-types";
import { useIsAdmin } from "../auth/useIsAdmin";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { checkboxClasses, inputClasses } from "../ui/Field";
import { ErrorMessage, QueryError } from "../ui/ErrorMessage";
import { LoadingBlock } from "../ui/Spinner";

type ParametersAnswer = RouterOutputs["analysis"]["parameters"];
type Values = ParametersAnswer["values"];
type ScalarKey = keyof ParametersAnswer["sources"];
type NumberKey = Exclude<ScalarKey, "windowsContainerHosts" | "scoreDeduction" | "kataDeployRelease">;

const NUMBER_KEYS: NumberKey[] = [
  "targetVcpuPerCore",
  "targetVramPerPram",
  "maxDisks",
  "containerMaxMemoryMiB",
  "guestMaxServices",
  "utilisationPeriodDays",
  "minMeasuredHours",
  "sizingPercentile",
  "comfortFactor",
  "idleCpuMhz",
  "idleTimePercent",
  "undersizedCpuPercent",
  "cpuReadyPercent",
  "poweredOffDays",
  "snapshotMaxAgeDays",
  "templateUnusedDays",
  "hostTargetCpuPercent",
  "hostTargetMemoryPercent",
  "spareHosts",
];
const SEVERITY_KEYS = ["critical", "warning", "info"] as const;

/**
 * Every model parameter the analyses use, its value in force, its default and where that comes
 * from. Administrators may change them; everyone else reads them.
 */
export function ParametersView() {
  const trpc = useTRPC();
  const parameters = useQuery(trpc.analysis.parameters.queryOptions());
  // Kept here: the form below starts again when the values it saved come back.
  const [saved, setSaved] = useState(false);
  if (parameters.isPending) return <LoadingBlock />;
  if (parameters.error) {
    return <QueryError title="Could not load the parameters" query={parameters} />;
  }
  // A new key when the stored values change (saved, restored) starts the form again from them.
  return <ParametersForm key={JSON.stringify(parameters.data.values)} data={parameters.data} saved={saved} setSaved={setSaved} />;
}

function ParametersForm({ data, saved, setSaved }: { data: ParametersAnswer; saved: boolean; setSaved: (saved: boolean) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isAdmin = useIsAdmin();
  const [draft, setDraft] = useState<Values>(data.values);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.analysis.pathKey() });
  const save = useMutation(trpc.analysis.setParameters.mutationOptions({ onSuccess: () => { setSaved(true); void invalidate(); } }));
  const reset = useMutation(trpc.analysis.resetParameters.mutationOptions({ onSuccess: () => { setSaved(true); void invalidate(); } }));

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    save.mutate(draft);
  };
  const number = (key: NumberKey) => (
    <input
      id={`p-${key}`}
      type="number"
      step="any"
      min={0}
      required
      className={inputClasses}
      value={draft[key]}
      disabled={!isAdmin}
      onChange={(e) => setDraft({ ...draft, [key]: e.target.valueAsNumber })}
    />
  );

  return (
    <form onSubmit={onSubmit} className="space-y-6">
      <div>
        <h1 className="text-xl font-semibold text-slate-900 dark:text-slate-100">Model parameters</h1>
        <p className="mt-1 max-w-3xl text-sm text-slate-600 dark:text-slate-400">
          Every figure of the density, waste, isolation and migration analyses comes from the inventory and these parameters.
          Each default says where it comes from. {isAdmin ? "Changes apply to every customer at once." : "Administrators can change them."}
        </p>
      </div>
      <Card className="overflow-x-auto">
        <table className="min-w-full text-sm">
          <caption className="sr-only">Model parameters, their values, defaults and sources</caption>
          <thead className="bg-slate-50 dark:bg-slate-800 text-left text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
            <tr>
              <th scope="col" className="px-4 py-2">Parameter</th>
              <th scope="col" className="px-4 py-2">Value</th>
              <th scope="col" className="px-4 py-2">Default</th>
              <th scope="col" className="px-4 py-2">Source</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {NUMBER_KEYS.map((key) => (
              <tr key={key}>
                <th scope="row" className="px-4 py-2 text-left font-medium text-slate-800 dark:text-slate-200">
                  <label htmlFor={`p-${key}`}>{data.sources[key].label}</label>
                </th>
                <td className="w-40 px-4 py-2">{number(key)}</td>
                <td className="px-4 py-2 tabular-nums text-slate-600 dark:text-slate-400">{data.defaults[key]}</td>
                <td className="px-4 py-2 text-slate-600 dark:text-slate-400">{data.sources[key].source}</td>
              </tr>
            ))}
            <tr>
              <th scope="row" className="px-4 py-2 text-left font-medium text-slate-800 dark:text-slate-200">
                <label htmlFor="p-kataDeployRelease">{data.sources.kataDeployRelease.label}</label>
              </th>
              <td className="w-40 px-4 py-2">
                <input
                  id="p-kataDeployRelease"
                  type="text"
                  required
                  pattern="\d+\.\d+(\.\d+)?"
                  title="A kata-deploy release such as 4.1.0"
                  className={inputClasses}
                  value={draft.kataDeployRelease}
                  disabled={!isAdmin}
                  onChange={(e) => setDraft({ ...draft, kataDeployRelease: e.target.value })}
                />
              </td>
              <td className="px-4 py-2 tabular-nums text-slate-600 dark:text-slate-400">{data.defaults.kataDeployRelease}</td>
              <td className="px-4 py-2 text-slate-600 dark:text-slate-400">{data.sources.kataDeployRelease.source}</td>
            </tr>
            <tr>
              <th scope="row" className="px-4 py-2 text-left font-medium text-slate-800 dark:text-slate-200">
                <label htmlFor="p-windowsContainerHosts">{data.sources.windowsContainerHosts.label}</label>
              </th>
              <td className="px-4 py-2">
                <input
                  id="p-windowsContainerHosts"
                  type="checkbox"
                  className={checkboxClasses}
                  checked={draft.windowsContainerHosts}
                  disabled={!isAdmin}
                  onChange={(e) => setDraft({ ...draft, windowsContainerHosts: e.target.checked })}
                />
              </td>
              <td className="px-4 py-2 text-slate-600 dark:text-slate-400">{data.defaults.windowsContainerHosts ? "on" : "off"}</td>
              <td className="px-4 py-2 text-slate-600 dark:text-slate-400">{data.sources.windowsContainerHosts.source}</td>
            </tr>
            {SEVERITY_KEYS.map((severity) => (
              <tr key={severity}>
                <th scope="row" className="px-4 py-2 text-left font-medium text-slate-800 dark:text-slate-200">
                  <label htmlFor={`p-score-${severity}`}>
                    {data.sources.scoreDeduction.label}: {severity}
                  </label>
                </th>
                <td className="px-4 py-2">
                  <input
                    id={`p-score-${severity}`}
                    type="number"
                    min={0}
                    max={100}
                    required
                    className={inputClasses}
                    value={draft.scoreDeduction[severity]}
                    disabled={!isAdmin}
                    onChange={(e) => setDraft({ ...draft, scoreDeduction: { ...draft.scoreDeduction, [severity]: e.target.valueAsNumber } })}
                  />
                </td>
                <td className="px-4 py-2 tabular-nums text-slate-600 dark:text-slate-400">{data.defaults.scoreDeduction[severity]}</td>
                <td className="px-4 py-2 text-slate-600 dark:text-slate-400">{data.sources.scoreDeduction.source}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>

      <section aria-labelledby="footprints">
        <h2 id="footprints" className="text-base font-semibold text-slate-900 dark:text-slate-100">Guest OS footprints</h2>
        <p className="mt-1 max-w-3xl text-sm text-slate-600 dark:text-slate-400">
          What one more copy of an OS costs. A VM takes the first row whose pattern matches what its guest tools report, else its
          guest OS id, else its configured OS.
        </p>
        <Card className="mt-3 overflow-x-auto">
          <table className="min-w-full text-sm">
            <caption className="sr-only">Guest OS footprints</caption>
            <thead className="bg-slate-50 dark:bg-slate-800 text-left text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
              <tr>
                <th scope="col" className="px-4 py-2">OS</th>
                <th scope="col" className="px-4 py-2">Matches</th>
                <th scope="col" className="px-4 py-2">RAM (MiB)</th>
                <th scope="col" className="px-4 py-2">Disk (MiB)</th>
                <th scope="col" className="px-4 py-2">Source</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {draft.osFootprints.map((f, index) => (
                <tr key={f.label}>
                  <th scope="row" className="px-4 py-2 text-left font-medium text-slate-800 dark:text-slate-200">{f.label}</th>
                  <td className="px-4 py-2 font-mono text-xs text-slate-600 dark:text-slate-400">{f.match}</td>
                  {(["ramMiB", "diskMiB"] as const).map((field) => (
                    <td key={field} className="w-32 px-4 py-2">
                      <input
                        type="number"
                        min={0}
                        // osinfo-db's figures are bytes: SLE 15's disk is 1,074,151,424 B = 1024.390625 MiB.
                        step="any"
                        required
                        aria-label={`${f.label} ${field === "ramMiB" ? "RAM" : "disk"} (MiB)`}
                        className={inputClasses}
                        value={f[field]}
                        disabled={!isAdmin}
                        onChange={(e) =>
                          setDraft({
                            ...draft,
                            osFootprints: draft.osFootprints.map((o, i) => (i === index ? { ...o, [field]: e.target.valueAsNumber } : o)),
                          })
                        }
                      />
                    </td>
                  ))}
                  <td className="px-4 py-2 text-slate-600 dark:text-slate-400">
                    {f.source}
                    {f.deviation && <span className="block text-amber-700 dark:text-amber-300">Differs from osinfo-db: {f.deviation}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      </section>

      <section aria-labelledby="score">
        <h2 id="score" className="text-base font-semibold text-slate-900 dark:text-slate-100">How the posture score is computed</h2>
        <p className="mt-1 max-w-3xl text-sm text-slate-600 dark:text-slate-400">{data.scoreFormula}</p>
      </section>

      {isAdmin && (
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" variant="primary" busy={save.isPending}>
            Save parameters
          </Button>
          <Button onClick={() => { setSaved(false); reset.mutate(); }} busy={reset.isPending}>
            Restore the defaults
          </Button>
          {saved && !save.isPending && !reset.isPending && (
            <p role="status" className="text-sm text-green-700 dark:text-green-300">
              Saved: the analyses use these values now.
            </p>
          )}
        </div>
      )}
      {(save.error || reset.error) && <ErrorMessage title="Could not save the parameters" error={save.error ?? reset.error} />}
    </form>
  );
}
