-- Stored analyses (issue 19): each customer's analysis, computed after its ingest (a job) or by the
-- first reader that found none matching, so a page view reads it instead of computing it, in every
-- web process alike (server/analysis/stored.ts). A row serves only while its inventory version and
-- its parameters hash are the current ones; otherwise it is computed again and replaced.
CREATE TABLE "customer_analysis" (
    "customer_id" UUID NOT NULL,
    "inventory_version" TEXT NOT NULL,
    "parameters_hash" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "computed_at" TIMESTAMPTZ(3) NOT NULL,
    "compute_ms" INTEGER NOT NULL,
    "bytes" INTEGER NOT NULL,
    "result" BYTEA NOT NULL,

    CONSTRAINT "customer_analysis_pkey" PRIMARY KEY ("customer_id")
);

ALTER TABLE "customer_analysis" ADD CONSTRAINT "customer_analysis_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
