-- Guest discovery (issue 16): a `guest` source kind; what it read inside each guest, per run
-- (history); and the ssh host keys it trusted on first use.
ALTER TYPE "source_kind" ADD VALUE 'guest';

CREATE TABLE "guest" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "source_id" UUID NOT NULL,
    "run_id" UUID NOT NULL,
    "collected_at" TIMESTAMPTZ(3) NOT NULL,
    "target" TEXT NOT NULL,
    "hostname" TEXT,
    "product_uuid" TEXT,
    "machine_id" TEXT,
    "mac_addresses" TEXT[],
    "ip_addresses" TEXT[],
    "memory_total_mib" DOUBLE PRECISION,
    "memory_used_mib" DOUBLE PRECISION,
    "disk_total_mib" DOUBLE PRECISION,
    "disk_used_mib" DOUBLE PRECISION,
    "cpu_busy_percent" DOUBLE PRECISION,
    "facts" JSONB NOT NULL,

    CONSTRAINT "guest_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "guest_source_id_collected_at_idx" ON "guest"("source_id", "collected_at" DESC);
CREATE INDEX "guest_run_id_idx" ON "guest"("run_id");

ALTER TABLE "guest" ADD CONSTRAINT "guest_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "source"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "guest" ADD CONSTRAINT "guest_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "collection_run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "guest_host_key" (
    "source_id" UUID NOT NULL,
    "host" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "guest_host_key_pkey" PRIMARY KEY ("source_id", "host")
);

ALTER TABLE "guest_host_key" ADD CONSTRAINT "guest_host_key_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "source"("id") ON DELETE CASCADE ON UPDATE CASCADE;
