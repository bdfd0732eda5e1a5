-- Utilisation (issue 17): measured use over time, a series per object, metric and interval and
-- its values; and the times a collection reads alongside (boot times, the size of a VM's snapshots).
CREATE TABLE "utilisation_series" (
    "id" SERIAL NOT NULL,
    "source_id" UUID NOT NULL,
    "object_kind" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "interval_s" INTEGER NOT NULL,

    CONSTRAINT "utilisation_series_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "utilisation_series_source_id_object_kind_external_id_metric_key" ON "utilisation_series"("source_id", "object_kind", "external_id", "metric", "interval_s");

ALTER TABLE "utilisation_series" ADD CONSTRAINT "utilisation_series_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "source"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "utilisation_sample" (
    "series_id" INTEGER NOT NULL,
    "at" TIMESTAMPTZ(0) NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "peak" DOUBLE PRECISION,

    CONSTRAINT "utilisation_sample_pkey" PRIMARY KEY ("series_id", "at")
);

ALTER TABLE "utilisation_sample" ADD CONSTRAINT "utilisation_sample_series_id_fkey" FOREIGN KEY ("series_id") REFERENCES "utilisation_series"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "virtual_machine" ADD COLUMN "snapshot_size_mib" DOUBLE PRECISION;
ALTER TABLE "virtual_machine" ADD COLUMN "booted_at" TIMESTAMPTZ(3);
ALTER TABLE "host" ADD COLUMN "booted_at" TIMESTAMPTZ(3);
