import { db } from "@/server/db/client";

export const dynamic = "force-dynamic";

/** Liveness and database reachability, for container health checks. No customer data. */
export async function GET() {
  try {
    await db().pool.query("SELECT 1");
    return Response.json({ status: "ok" });
  } catch {
    return Response.json({ status: "database unreachable" }, { status: 503 });
  }
}
