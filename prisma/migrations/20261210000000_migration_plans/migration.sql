-- Migration plans (issue 18): per customer, plans with ordered waves of workloads (VMs and
-- containers), each with a target that defaults from its verdict (server/plans/).
CREATE TYPE "wave_status" AS ENUM ('planned', 'in_progress', 'done', 'rolled_back');
CREATE TYPE "migration_target" AS ENUM ('container', 'kata', 'stay', 'kubevirt', 'retire');

CREATE TABLE "migration_plan" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "customer_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "notes" TEXT NOT NULL DEFAULT '',
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "migration_plan_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "migration_wave" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "plan_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "owner" TEXT NOT NULL DEFAULT '',
    "target_date" DATE,
    "status" "wave_status" NOT NULL DEFAULT 'planned',
    "notes" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "migration_wave_pkey" PRIMARY KEY ("id")
);

-- plan_id repeats the wave's plan: with the (wave_id, plan_id) foreign key and the unique
-- (plan_id, kind, object_id), a workload is in at most one wave of a plan.
CREATE TABLE "migration_wave_workload" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "wave_id" UUID NOT NULL,
    "plan_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "object_id" UUID NOT NULL,
    "object_name" TEXT NOT NULL,
    "target" "migration_target" NOT NULL,
    "reason" TEXT,
    "added_by" TEXT,
    "added_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "migration_wave_workload_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "migration_wave_workload_kind_check" CHECK ("kind" IN ('vm', 'container'))
);

CREATE UNIQUE INDEX "migration_plan_customer_id_name_key" ON "migration_plan"("customer_id", "name");
CREATE UNIQUE INDEX "migration_wave_id_plan_id_key" ON "migration_wave"("id", "plan_id");
CREATE INDEX "migration_wave_plan_id_position_idx" ON "migration_wave"("plan_id", "position");
CREATE UNIQUE INDEX "migration_wave_workload_plan_id_kind_object_id_key" ON "migration_wave_workload"("plan_id", "kind", "object_id");
CREATE INDEX "migration_wave_workload_wave_id_idx" ON "migration_wave_workload"("wave_id");

ALTER TABLE "migration_plan" ADD CONSTRAINT "migration_plan_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "migration_wave" ADD CONSTRAINT "migration_wave_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "migration_plan"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "migration_wave_workload" ADD CONSTRAINT "migration_wave_workload_wave_id_plan_id_fkey" FOREIGN KEY ("wave_id", "plan_id") REFERENCES "migration_wave"("id", "plan_id") ON DELETE CASCADE ON UPDATE CASCADE;
