-- Utilisation (issue 17): measured use over time per object and metric, and the times a
-- collection reads alongside (boot times, the size of a VM's snapshots).
CREATE TABLE "utilisation_sample" (
    "source_id" UUID NOT NULL,
    "object_kind" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "interval_s" INTEGER NOT NULL,
    "at" TIMESTAMPTZ(0) NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "peak" DOUBLE PRECISION,

    CONSTRAINT "utilisation_sample_pkey" PRIMARY KEY ("source_id", "object_kind", "external_id", "metric", "interval_s", "at")
);

ALTER TABLE "utilisation_sample" ADD CONSTRAINT "utilisation_sample_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "source"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "virtual_machine" ADD COLUMN "snapshot_size_mib" DOUBLE PRECISION;
ALTER TABLE "virtual_machine" ADD COLUMN "booted_at" TIMESTAMPTZ(3);
ALTER TABLE "host" ADD COLUMN "booted_at" TIMESTAMPTZ(3);
