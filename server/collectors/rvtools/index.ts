/**
 * The rvtools kind: an RVTools export of a vCenter. Its importer is not written yet: a source of this
 * kind can be saved, and collecting it fails with CollectorUnavailableError.
 */
import { z } from "zod";
import { defineCollector } from "../types";

export const rvtools = defineCollector({
  kind: "rvtools",
  label: "RVTools export",
  endpoint: { pattern: /^\S.*$/, example: "RVTools export file name" },
  // No settings defined yet: any option within the generic bounds (api/routers/sources.ts) is kept.
  options: z.looseObject({}),
  fields: [],
  secret: { kind: "none" },
});
