/**
 * Formatting for the analysis tabs: ratios, GiB and GB, scores, and the colours of severities and
 * verdicts. The general helpers live in ../format.ts.
 */
import type { BadgeTone } from "../ui/Badge";
import {
  FIT_LABEL,
  ROLE_LABEL,
  ROLE_VALUES,
  VERDICT_LABEL,
  VERDICT_SHORT,
  VERDICT_VALUES,
  type Fit,
  type Role,
  type Strength,
  type VerdictValue,
} from "@/server/analysis/labels";
import type { Severity } from "@/server/analysis/rules";
import { MISSING } from "../format";

export { FIT_LABEL, ROLE_LABEL, ROLE_VALUES, VERDICT_LABEL, VERDICT_SHORT, VERDICT_VALUES, type Fit, type Role, type Severity, type Strength, type VerdictValue };

/** What each role's VMs become, in a few words (docs/domain.md#roles); only general workloads and databases are candidates. */
export const ROLE_VERDICT: Record<Role, string> = {
  template: "Not a workload: listed apart",
  system: "Stays a VM: its solution deploys and manages it",
  "nested-hypervisor": "Stays a VM: it runs VMs of its own",
  appliance: "Stays a VM: its vendor ships, upgrades and supports it",
  "kubernetes-node": "Container host: its pods are the workloads",
  "container-host": "Container host: its containers are the workloads",
  desktop: "Stays a VM: desktops stay with their VDI platform",
  database: "Candidate: graded by guest discovery",
  general: "Candidate: graded by guest discovery",
};

/** Fit, as Migrate to Containers grades it: green to red, and amber for "not graded yet". */
export const FIT_TONE: Record<Fit, BadgeTone> = {
  excellent: "green",
  good: "green",
  "minimal-work": "blue",
  "moderate-work": "blue",
  "major-work": "amber",
  "no-fit": "neutral",
  "insufficient-data": "amber",
};

export const STRENGTH_TONE: Record<Strength, BadgeTone> = { strong: "green", moderate: "blue", weak: "neutral", missing: "amber" };

const ratioFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const oneDecimal = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** 4.5 → "4.5:1"; null (nothing to divide by) → "—". */
export function formatRatio(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return MISSING;
  return `${ratioFormat.format(value)}:1`;
}

/** A plain number with up to two decimals: 3.456 → "3.46". */
export function formatDecimal(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return MISSING;
  return ratioFormat.format(value);
}

/** MiB always shown in GiB with one decimal: 1536 → "1.5 GiB". */
export function formatGiB(mib: number | null | undefined): string {
  if (mib === null || mib === undefined || !Number.isFinite(mib)) return MISSING;
  return `${oneDecimal.format(mib / 1024)} GiB`;
}

/** MiB as a GiB number for chart axes (one decimal). */
export const toGiB = (mib: number) => Math.round((mib / 1024) * 10) / 10;

/** Bytes in decimal gigabytes: 1_500_000_000 → "1.5 GB". */
export function formatGB(bytes: number | bigint | null | undefined): string {
  if (bytes === null || bytes === undefined) return MISSING;
  const value = Number(bytes);
  if (!Number.isFinite(value)) return MISSING;
  return `${oneDecimal.format(value / 1e9)} GB`;
}

/** A posture score out of 100: 87.5 → "87.5". */
export function formatScore(score: number | null | undefined): string {
  if (score === null || score === undefined || !Number.isFinite(score)) return MISSING;
  return oneDecimal.format(score).replace(/\.0$/, "");
}

export const SEVERITY_LABEL: Record<Severity, string> = { critical: "Critical", warning: "Warning", info: "Info" };
export const SEVERITY_TONE: Record<Severity, BadgeTone> = { critical: "red", warning: "amber", info: "blue" };
export const SEVERITY_COLOR: Record<Severity, string> = { critical: "#dc2626", warning: "#d97706", info: "#0284c7" };

export const VERDICT_TONE: Record<VerdictValue, BadgeTone> = { "to-container": "green", "to-system-container": "brand", "to-kata": "violet", "stay-vm": "blue", stay: "neutral" };

/** Chart colours (Tailwind 600s) for the two series of a chart. */
export const CHART = {
  primary: "#2563eb",
  primaryOver: "#dc2626",
  secondary: "#0d9488",
  secondaryOver: "#ea580c",
  reference: "#475569",
  grid: "#e2e8f0",
  axis: "#64748b",
} as const;
