"use client";
/**
 * Pieces shared by the object pages (host, VM, container, image): the page frame with its loading,
 * error and not-found states, breadcrumbs, sections, the stored properties, findings, verdict with
 * its reasons, evidence and saving, and the object's collection history. Every figure comes from
 * the objects router; the pages only lay it out.
 */
import Link from "next/link";
import type { ReactNode } from "react";
import type { RouterOutputs } from "../api-types";
import { errorCode } from "../errors";
import { formatBytes, formatCount, formatDateTime, formatMiB, MISSING } from "../format";
import { customerHref, objectHref, type ObjectKind } from "../links";
import { ROLE_LABEL, SEVERITY_LABEL, SEVERITY_TONE, STRENGTH_TONE, VERDICT_TONE } from "../analysis/format";
import { Badge } from "../ui/Badge";
import { buttonClasses } from "../ui/Button";
import { cx, focusRing } from "../ui/cx";
import { EmptyState } from "../ui/EmptyState";
import { QueryError } from "../ui/ErrorMessage";
import { LoadingBlock } from "../ui/Spinner";

type Outputs = RouterOutputs["objects"];
export type Crumb = Outputs["vm"]["breadcrumbs"][number];
export type Property = Outputs["vm"]["properties"][number];
export type FindingRow = Outputs["vm"]["findings"][number];
export type VerdictRow = NonNullable<Outputs["vm"]["verdict"]>;
export type History = Outputs["vm"]["history"];
type EvidenceItem = VerdictRow["evidence"][number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => UUID.test(value);

export const KIND_WORD: Record<ObjectKind, string> = { host: "host", vm: "virtual machine", container: "container", image: "image" };

export const objectLinkClass = cx(
  "rounded font-medium text-brand-700 underline decoration-brand-300 underline-offset-2 hover:decoration-brand-600 dark:text-brand-300 dark:decoration-brand-500",
  focusRing,
);

/** A link to an object's page. */
export function ObjectLink({ customerId, kind, id, children }: { customerId: string; kind: ObjectKind; id: string; children: ReactNode }) {
  return (
    <Link href={objectHref(customerId, kind, id)} className={objectLinkClass}>
      {children}
    </Link>
  );
}

export const muted = <span className="text-slate-400 dark:text-slate-500">{MISSING}</span>;

/** Retry a failed object query once, but never a refusal (a missing object stays missing). */
export const objectRetry = (count: number, error: unknown) => errorCode(error) !== "NOT_FOUND" && errorCode(error) !== "BAD_REQUEST" && count < 1;

/**
 * The frame of an object page: not found (a bad id, another customer's object, a customer out of
 * scope), loading, error, then the page.
 */
export function ObjectFrame<T extends { name: string; breadcrumbs: Crumb[] }>({
  customerId,
  kind,
  id,
  query,
  children,
}: {
  customerId: string;
  kind: ObjectKind;
  id: string;
  query: { data: T | undefined; error: unknown; isPending: boolean; isFetching: boolean; refetch: () => unknown };
  children: (data: T) => ReactNode;
}) {
  const word = KIND_WORD[kind];
  const code = errorCode(query.error);
  if (!isUuid(id) || !isUuid(customerId) || code === "NOT_FOUND" || code === "BAD_REQUEST") {
    return <ObjectNotFound customerId={isUuid(customerId) ? customerId : null} word={word} />;
  }
  if (query.isPending) return <LoadingBlock label={`Loading the ${word}…`} />;
  if (query.error || !query.data) {
    return (
      <div className="space-y-4">
        <Breadcrumbs crumbs={[]} customerId={customerId} current={`${word[0]!.toUpperCase()}${word.slice(1)}`} />
        <QueryError title={`Could not load this ${word}`} query={query} />
      </div>
    );
  }
  const data = query.data;
  return (
    <div className="space-y-6" data-object={kind}>
      <title>{`${data.name} · Fleetlens`}</title>
      {children(data)}
    </div>
  );
}

function ObjectNotFound({ customerId, word }: { customerId: string | null; word: string }) {
  const title = `${word[0]!.toUpperCase()}${word.slice(1)} not found`;
  return (
    <div className="space-y-4">
      <title>{`${title} · Fleetlens`}</title>
      <Breadcrumbs crumbs={[]} customerId={customerId} current={title} />
      <div className="rounded-lg border border-slate-200 bg-white shadow-xs dark:border-slate-800 dark:bg-slate-900">
        <EmptyState
          title={title}
          titleAs="h1"
          action={
            <Link href={customerId ? customerHref(customerId) : "/"} className={buttonClasses("primary")}>
              {customerId ? "Back to the customer" : "Back to the fleet"}
            </Link>
          }
        >
          There is no {word} at this address for you. It may have gone from the last collection, belong to another
          customer, or the link is incomplete.
        </EmptyState>
      </div>
    </div>
  );
}

const CRUMB_KIND: Partial<Record<Crumb["kind"], ObjectKind>> = { host: "host", vm: "vm", container: "container", image: "image" };

/** Fleet / customer / cluster / host / VM / … / this object (the last crumb is the page itself). */
export function Breadcrumbs({ crumbs, customerId, current }: { crumbs: Crumb[]; customerId: string | null; current?: string }) {
  const trail = current ? crumbs : crumbs.slice(0, -1);
  const here = current ?? crumbs.at(-1)?.name ?? "";
  const crumbLink = cx("rounded hover:text-slate-900 dark:hover:text-slate-100", focusRing);
  return (
    <nav aria-label="Breadcrumb" className="text-sm text-slate-500 dark:text-slate-400">
      <ol className="flex flex-wrap items-center gap-1.5">
        <li>
          <Link href="/" className={crumbLink}>
            Fleet
          </Link>
        </li>
        {trail.map((c, i) => {
          const kind = CRUMB_KIND[c.kind];
          const href = c.kind === "customer" && c.id ? customerHref(c.id) : kind && c.id && customerId ? objectHref(customerId, kind, c.id) : null;
          return (
            <li key={`${c.kind}-${c.id ?? c.name}-${i}`} className="flex items-center gap-1.5">
              <span aria-hidden="true">/</span>
              {href ? (
                <Link href={href} className={crumbLink} data-crumb={c.kind}>
                  {/* An engine host is often named as the VM it runs in: the VM's crumb says which is which. */}
                  {c.kind === "vm" ? <><span className="text-slate-400 dark:text-slate-500">VM </span>{c.name}</> : c.name}
                </Link>
              ) : (
                <span data-crumb={c.kind}>{c.kind === "cluster" ? `Cluster ${c.name}` : c.name}</span>
              )}
            </li>
          );
        })}
        <li className="flex items-center gap-1.5">
          <span aria-hidden="true">/</span>
          <span aria-current="page" className="truncate text-slate-700 dark:text-slate-200">
            {here}
          </span>
        </li>
      </ol>
    </nav>
  );
}

/** The page heading: the object's name, what it is, and badges. */
export function ObjectHeader({ kind, name, badges }: { kind: ObjectKind; name: string; badges?: ReactNode }) {
  return (
    <div className="mt-2 flex flex-wrap items-center gap-3">
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900 dark:text-slate-100">{name}</h1>
      <Badge tone="neutral">{KIND_WORD[kind]}</Badge>
      {badges}
    </div>
  );
}

/** A titled block of the page, its heading named for screen readers' section lists. */
export function ObjectSection({ id, title, description, children }: { id: string; title: string; description?: ReactNode; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="overflow-hidden rounded-lg border border-slate-200 bg-white shadow-xs dark:border-slate-800 dark:bg-slate-900">
      <div className="border-b border-slate-200 px-4 py-3 dark:border-slate-700">
        <h2 id={id} className="text-sm font-semibold text-slate-900 dark:text-slate-100">
          {title}
        </h2>
        {description && <div className="mt-0.5 text-xs text-slate-600 dark:text-slate-400">{description}</div>}
      </div>
      {children}
    </section>
  );
}

/** Nothing to list in a section, said in a sentence. */
export function Nothing({ children }: { children: ReactNode }) {
  return <p className="px-4 py-3 text-sm text-slate-600 dark:text-slate-400">{children}</p>;
}

function propertyValue(p: Property): ReactNode {
  const v = p.value;
  if (v === null || v === "" || (Array.isArray(v) && v.length === 0)) return muted;
  if (typeof v === "boolean") return v ? "Yes" : "No";
  if (Array.isArray(v)) {
    return (
      <ul className="space-y-0.5">
        {v.map((item, i) => (
          <li key={i} className="break-all">
            {item}
          </li>
        ))}
      </ul>
    );
  }
  if (p.unit === "MiB" && typeof v === "number") return formatMiB(v);
  if (p.unit === "bytes" && typeof v === "number") return formatBytes(v);
  if (p.unit === "date" && typeof v === "string") return formatDateTime(v);
  if (typeof v === "number") return formatCount(v);
  return <span className="break-words">{v}</span>;
}

/** The stored properties as a description list; those without a value last, collapsed. */
export function Properties({ properties }: { properties: Property[] }) {
  const empty = (p: Property) => p.value === null || p.value === "" || (Array.isArray(p.value) && p.value.length === 0);
  const known = properties.filter((p) => !empty(p));
  const unknown = properties.filter(empty);
  return (
    <ObjectSection id="properties-heading" title="Properties" description="As the last collection stored them.">
      <dl className="grid gap-x-6 gap-y-2 px-4 py-3 text-sm sm:grid-cols-2 xl:grid-cols-3">
        {known.map((p) => (
          <div key={p.label} className="min-w-0" data-property={p.label}>
            <dt className="text-xs font-medium text-slate-500 dark:text-slate-400">{p.label}</dt>
            <dd className="text-slate-900 dark:text-slate-100">{propertyValue(p)}</dd>
          </div>
        ))}
      </dl>
      {unknown.length > 0 && (
        <p className="border-t border-slate-100 px-4 py-2 text-xs text-slate-500 dark:border-slate-800 dark:text-slate-400">
          Not given by the source: {unknown.map((p) => p.label).join(", ")}.
        </p>
      )}
    </ObjectSection>
  );
}

/** A plain table for a section's list (caption for screen readers). */
export function ListTable({ caption, head, children }: { caption: string; head: string[]; children: ReactNode }) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full border-collapse text-sm">
        <caption className="sr-only">{caption}</caption>
        <thead className="bg-slate-50 dark:bg-slate-800">
          <tr className="border-b border-slate-200 dark:border-slate-700">
            {head.map((h) => (
              <th key={h} scope="col" className="px-3 py-2 text-left text-xs font-semibold whitespace-nowrap text-slate-600 dark:text-slate-300">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 text-slate-800 dark:divide-slate-800 dark:text-slate-200">{children}</tbody>
      </table>
    </div>
  );
}
export const cell = "px-3 py-2 align-top";

/** The object's findings, as the findings table words them. */
export function Findings({ findings, what }: { findings: FindingRow[]; what: string }) {
  return (
    <ObjectSection id="findings-heading" title={`Findings (${findings.length})`} description="The rules this object fails, most severe first.">
      {findings.length === 0 ? (
        <Nothing>No rule fires on this {what}.</Nothing>
      ) : (
        <ul className="divide-y divide-slate-100 dark:divide-slate-800">
          {findings.map((f) => (
            <li key={f.key} className="px-4 py-2 text-sm" data-finding={f.ruleId}>
              <div className="flex flex-wrap items-center gap-2">
                <Badge tone={SEVERITY_TONE[f.severity]} dot>
                  {SEVERITY_LABEL[f.severity]}
                </Badge>
                <span className="font-medium text-slate-900 dark:text-slate-100">{f.title}</span>
                <span className="font-mono text-xs text-slate-500 dark:text-slate-400">{f.upstreamId ?? f.ruleId}</span>
              </div>
              {f.detail && <p className="mt-0.5 text-xs text-slate-700 dark:text-slate-300">{f.detail}</p>}
              <p className="mt-0.5 text-xs text-slate-600 dark:text-slate-400">
                {f.text}{" "}
                {f.sourceUrl ? (
                  <a href={f.sourceUrl} className={cx("underline", focusRing)} rel="noreferrer" target="_blank">
                    {f.source}
                  </a>
                ) : (
                  f.source
                )}
              </p>
            </li>
          ))}
        </ul>
      )}
    </ObjectSection>
  );
}

function EvidenceList({ items, label, role }: { items: EvidenceItem[]; label: string; role: VerdictRow["role"] }) {
  return (
    <ul className="mt-1 space-y-1 text-xs" aria-label={label}>
      {items.map((e, i) => {
        const aside = role !== null && e.supports !== null && e.supports !== role;
        return (
          <li key={i} className={aside ? "text-slate-500 dark:text-slate-400" : "text-slate-800 dark:text-slate-200"} data-evidence={e.strength}>
            <span className="text-slate-500 dark:text-slate-400">{e.source}: </span>
            <span className="font-mono">{e.field}</span> = <span className="break-words">{e.value}</span>{" "}
            <Badge tone={STRENGTH_TONE[e.strength]}>{e.strength}</Badge>
            {aside && e.supports && <span> points to {ROLE_LABEL[e.supports]}, set aside</span>}
            {e.note && <div className="text-slate-500 dark:text-slate-400">{e.note}</div>}
          </li>
        );
      })}
    </ul>
  );
}

/** The evidence still missing that guest discovery would give. */
const missingGuest = (e: EvidenceItem) => e.strength === "missing" && e.source === "guest discovery";

/** Role and evidence, then the verdict, its reason and saving (as the verdicts table has them). */
export function VerdictSection({ verdict, guestMissing }: { verdict: VerdictRow | null; guestMissing?: boolean }) {
  if (!verdict) {
    return (
      <ObjectSection id="verdict-heading" title="Verdict">
        <Nothing>No verdict: templates and objects that are not workloads are listed apart.</Nothing>
      </ObjectSection>
    );
  }
  const same = (a: EvidenceItem, b: EvidenceItem) => a.source === b.source && a.field === b.field && a.value === b.value;
  const more = verdict.evidence.filter((e) => !verdict.roleEvidence.some((r) => same(r, e)));
  const insufficient = guestMissing && (verdict.fit === "insufficient-data" || verdict.evidence.some(missingGuest));
  return (
    <ObjectSection id="verdict-heading" title="Role, verdict and evidence" description="What it is, where it should go, and what that rests on.">
      <div className="space-y-3 px-4 py-3 text-sm">
        <dl className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
          <div>
            <dt className="text-xs font-medium text-slate-500 dark:text-slate-400">Verdict</dt>
            <dd className="mt-0.5" data-verdict={verdict.verdict}>
              <Badge tone={VERDICT_TONE[verdict.verdict]}>{verdict.verdictLabel}</Badge>
            </dd>
          </div>
          <div>
            <dt className="text-xs font-medium text-slate-500 dark:text-slate-400">Role</dt>
            <dd className="mt-0.5 text-slate-900 dark:text-slate-100" data-role={verdict.role ?? ""}>
              {verdict.roleLabel ?? (verdict.kind === "container" ? "Container" : muted)}
            </dd>
          </div>
          <div>
            <dt className="text-xs font-medium text-slate-500 dark:text-slate-400">Container fit</dt>
            <dd className="mt-0.5 text-slate-900 dark:text-slate-100">{verdict.fitLabel ?? muted}</dd>
          </div>
          <div>
            <dt className="text-xs font-medium text-slate-500 dark:text-slate-400">Isolation</dt>
            <dd className="mt-0.5 text-slate-900 dark:text-slate-100">{verdict.isolation}</dd>
          </div>
        </dl>
        <div>
          <h3 className="text-xs font-medium text-slate-500 dark:text-slate-400">Reason</h3>
          <p className="mt-0.5 text-slate-900 dark:text-slate-100" data-reason>
            {verdict.reason}
          </p>
        </div>
        <div>
          <h3 className="text-xs font-medium text-slate-500 dark:text-slate-400">Saving if it moves</h3>
          <p className="mt-0.5 tabular-nums text-slate-900 dark:text-slate-100" data-saving>
            {(verdict.verdict === "stay" || verdict.verdict === "stay-vm") && verdict.ramMiB === 0 && verdict.diskMiB === 0 ? (
              "None: it stays"
            ) : (
              <>
                {formatMiB(verdict.ramMiB)} RAM · {formatMiB(verdict.diskMiB)} disk
                {verdict.cpuMillis !== 0 && <> · {formatCount(verdict.cpuMillis)} mCPU</>}
              </>
            )}
          </p>
        </div>
        {insufficient && (
          <p className="rounded-md bg-amber-50 px-3 py-2 text-xs text-amber-900 ring-1 ring-amber-600/30 dark:bg-amber-950 dark:text-amber-100" data-insufficient>
            Insufficient data: run guest discovery. Nothing has been read inside this VM yet, so its fit rests on its
            configuration alone; a Linux guests (ssh) source reads what runs in it.
          </p>
        )}
        {verdict.roleEvidence.length > 0 && (
          <div>
            <h3 className="text-xs font-medium text-slate-500 dark:text-slate-400">Role evidence</h3>
            <EvidenceList items={verdict.roleEvidence} label="Role evidence" role={verdict.role} />
          </div>
        )}
        {more.length > 0 && (
          <div>
            <h3 className="text-xs font-medium text-slate-500 dark:text-slate-400">Verdict evidence</h3>
            <EvidenceList items={more} label="Verdict evidence" role={verdict.role} />
          </div>
        )}
      </div>
    </ObjectSection>
  );
}

function RunLine({ label, run }: { label: string; run: History["addedBy"] }) {
  return (
    <div>
      <dt className="text-xs font-medium text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="text-slate-900 dark:text-slate-100">
        {run ? (
          <>
            {formatDateTime(run.startedAt)} <span className="text-slate-500 dark:text-slate-400">({run.trigger} run)</span>
          </>
        ) : (
          muted
        )}
      </dd>
    </div>
  );
}

/** Where the object came from and when: source, first seen, last changed, and the runs that did it. */
export function CollectionHistory({ history }: { history: History }) {
  return (
    <ObjectSection
      id="collections-heading"
      title="Collections"
      description="The runs of its source that added it and last changed it (a run's ingest falls between its start and its end)."
    >
      <dl className="grid gap-x-6 gap-y-2 px-4 py-3 text-sm sm:grid-cols-2 lg:grid-cols-3">
        <div>
          <dt className="text-xs font-medium text-slate-500 dark:text-slate-400">Source</dt>
          <dd className="text-slate-900 dark:text-slate-100">
            {history.source.name} <span className="text-slate-500 dark:text-slate-400">({history.source.kind})</span>
          </dd>
        </div>
        <div>
          <dt className="text-xs font-medium text-slate-500 dark:text-slate-400">First seen</dt>
          <dd className="text-slate-900 dark:text-slate-100" data-first-seen>
            {formatDateTime(history.firstSeenAt)}
          </dd>
        </div>
        <div>
          <dt className="text-xs font-medium text-slate-500 dark:text-slate-400">Last changed</dt>
          <dd className="text-slate-900 dark:text-slate-100">{formatDateTime(history.updatedAt)}</dd>
        </div>
        <RunLine label="Added by the collection of" run={history.addedBy} />
        <RunLine label="Last changed by the collection of" run={history.changedBy} />
        <RunLine label="Last collected" run={history.lastCollected} />
      </dl>
    </ObjectSection>
  );
}

/** One figure of an analysis, muted when the analysis has none. */
export function Figure({ label, value }: { label: string; value: ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="tabular-nums text-slate-900 dark:text-slate-100">{value ?? muted}</dd>
    </div>
  );
}
