/**
 * A migration plan's waves as a file: GET /api/export/<customerId>/waves?plan=<id>&format=csv|xlsx
 * (one row per workload: wave, status, owner, date, workload, kind, verdict, target, reason,
 * figures), or &format=forklift&wave=<id> for that wave's VMs whose target is KubeVirt as a Forklift
 * Plan manifest (YAML). A static segment: Next.js matches it before the sibling [table] route.
 *
 * Same authorization as the other exports (server/api/route-guard.ts): engineers and administrators
 * (a viewer gets 403), a customer out of scope looks missing (404), as does a plan or wave of
 * another customer. Audited before the first byte. An unexpected error answers 500 with a reference.
 */
import { internalErrorResponse } from "@/server/api/errors";
import { customerOf, engineerOf, EXPORT_FORBIDDEN, plainText } from "@/server/api/route-guard";
import { audit, clientIp } from "@/server/auth/audit";
import { db } from "@/server/db/client";
import { attachment, csvResponse, exportFilename, fileSlug } from "@/server/export/csv";
import { xlsxResponse } from "@/server/export/xlsx";
import { forkliftPlan, kubernetesName, WAVE_COLUMNS, waveExportRows } from "@/server/plans/export";
import { planViews } from "@/server/plans/views";

export const dynamic = "force-dynamic";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FORMATS = ["csv", "xlsx", "forklift"] as const;

export async function GET(request: Request, context: { params: Promise<{ customerId: string }> }) {
  try {
    return await exportWaves(request, context);
  } catch (error) {
    return internalErrorResponse("waves export", error);
  }
}

async function exportWaves(request: Request, context: { params: Promise<{ customerId: string }> }) {
  const database = db();
  const viewer = await engineerOf(database, request, EXPORT_FORBIDDEN);
  if (viewer instanceof Response) return viewer;
  const customer = await customerOf(database, viewer, (await context.params).customerId);
  if (customer instanceof Response) return customer;

  const params = new URL(request.url).searchParams;
  const planId = params.get("plan") ?? "";
  const format = params.get("format") ?? "csv";
  if (!UUID.test(planId)) return plainText(400, "plan: the id of one of the customer's migration plans is needed");
  if (!(FORMATS as readonly string[]).includes(format)) return plainText(400, `format: one of ${FORMATS.join(", ")}`);
  const [plan] = await planViews(database, customer.id, planId);
  if (!plan) return plainText(404, "no such plan");

  const audited = (detail: Record<string, unknown>) =>
    audit(database, { actorId: viewer.id, actorEmail: viewer.email, action: "export", target: customer.id, detail: { table: "waves", planId, format, ...detail }, ip: clientIp(request.headers) });

  if (format === "forklift") {
    const waveId = params.get("wave") ?? "";
    const wave = plan.waves.find((w) => w.id === waveId);
    if (!wave) return plainText(UUID.test(waveId) ? 404 : 400, UUID.test(waveId) ? "no such wave in this plan" : "wave: the id of one of the plan's waves is needed");
    const { yaml, vms } = forkliftPlan(plan, wave);
    await audited({ waveId, vms });
    return new Response(yaml, {
      status: 200,
      headers: {
        "Content-Type": "application/yaml; charset=utf-8",
        "Content-Disposition": attachment(`${fileSlug(customer.name)}-${kubernetesName(`${plan.name}-${wave.name}`)}-forklift-plan.yaml`),
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
      },
    });
  }
  const rows = waveExportRows(plan);
  await audited({ rows: rows.length });
  const table = `waves-${fileSlug(plan.name)}`;
  return format === "xlsx"
    ? xlsxResponse(rows, WAVE_COLUMNS, exportFilename(customer.name, table, new Date(), "xlsx"), { sheet: "Waves" })
    : csvResponse(rows, WAVE_COLUMNS, exportFilename(customer.name, table));
}
