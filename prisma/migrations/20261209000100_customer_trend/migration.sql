-- Trends (issue 17): a customer's analysis totals after each collection of one of its sources,
-- one row per customer per hour (the newest of the hour kept; server/analysis/trends.ts thins
-- older rows to one per day and deletes them after TREND_KEEP_DAYS).
CREATE TABLE "customer_trend" (
    "customer_id" UUID NOT NULL,
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "physical_hosts" INTEGER NOT NULL,
    "virtual_machines" INTEGER NOT NULL,
    "vms_powered_on" INTEGER NOT NULL,
    "containers" INTEGER NOT NULL,
    "physical_cores" INTEGER NOT NULL,
    "physical_memory_mib" DOUBLE PRECISION NOT NULL,
    "vcpus_powered_on" INTEGER NOT NULL,
    "vm_memory_mib_powered_on" DOUBLE PRECISION NOT NULL,
    "vcpu_per_core" DOUBLE PRECISION,
    "vram_per_pram" DOUBLE PRECISION,
    "ram_used_mib" DOUBLE PRECISION,
    "hosts_measured" INTEGER NOT NULL,
    "ram_waste_mib" DOUBLE PRECISION NOT NULL,
    "critical_findings" INTEGER NOT NULL,
    "warning_findings" INTEGER NOT NULL,
    "posture_score" DOUBLE PRECISION,
    "scored_containers" INTEGER NOT NULL,
    "candidates" INTEGER NOT NULL,
    "reclaim_memory_mib" DOUBLE PRECISION,
    "demo" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "customer_trend_pkey" PRIMARY KEY ("customer_id", "hour")
);

ALTER TABLE "customer_trend" ADD CONSTRAINT "customer_trend_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
