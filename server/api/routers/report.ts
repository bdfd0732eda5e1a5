/**
 * The customer report (server/report/): what a meeting takes away, for every signed-in user whose
 * scope holds the customer (it shows only what the dashboard shows them). `anonymised` gives the
 * variant for third parties, its names, addresses and ids replaced by aliases; the mapping stays on
 * the server. Every report made is audited ("report-generated", with the variant).
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { anonymiseReport } from "../../report/anonymise";
import { buildReport } from "../../report/build";
import { createTRPCRouter, customerProcedure } from "../trpc";

export const reportRouter = createTRPCRouter({
  get: customerProcedure.input(z.object({ anonymised: z.boolean().default(false) })).query(async ({ ctx, input }) => {
    const report = await buildReport(ctx.database, input.customerId);
    if (!report) throw new TRPCError({ code: "NOT_FOUND", message: "no such customer" });
    await ctx.audit("report-generated", { target: input.customerId, detail: { anonymised: input.anonymised } });
    return input.anonymised ? anonymiseReport(ctx.database, input.customerId, report) : report;
  }),
});
