/**
 * Search across the fleet from the header: every customer in the viewer's scope, every kind of
 * object, grouped by kind (server/search/search.ts). A customer out of scope is never searched, so
 * its objects never appear, even on an exact match.
 */
import { z } from "zod";
import { CONTROL_CHARACTERS } from "../../search/normalise";
import { searchFleet } from "../../search/search";
import { SEARCH_CONTROL_MESSAGE } from "../text";
import { createTRPCRouter, viewerProcedure } from "../trpc";
import { scopeIds } from "./scope";

export const searchInput = z.object({
  q: z
    .string()
    .trim()
    .min(1, "type something to search for")
    .max(200, "a search is at most 200 characters")
    .refine((text) => !CONTROL_CHARACTERS.test(text), SEARCH_CONTROL_MESSAGE),
  /** Objects per kind. */
  limit: z.number().int().min(1).max(50).default(8),
});

export const searchRouter = createTRPCRouter({
  query: viewerProcedure.input(searchInput).query(({ ctx, input }) =>
    searchFleet(ctx.database, input.q, { customerIds: scopeIds(ctx.viewer.scope), limit: input.limit }),
  ),
});
