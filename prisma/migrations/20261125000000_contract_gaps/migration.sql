-- Snapshot contract gaps:
-- 1. a disk whose capacity the endpoint does not say is stored as NULL, never 0;
-- 2. the "paused" power state (libvirt paused: held in memory, not scheduled). The new value is
--    not used in this migration: Postgres refuses an enum value added in the same transaction;
-- 3. rootless container engines (Docker rootless, rootless Podman).

-- AlterEnum
ALTER TYPE "power_state" ADD VALUE 'paused';

-- AlterTable
ALTER TABLE "virtual_disk" ALTER COLUMN "capacity_mib" DROP NOT NULL;

-- AlterTable
ALTER TABLE "host" ADD COLUMN "rootless" BOOLEAN NOT NULL DEFAULT false;

-- Engines stored before this column said rootless only as a security option (Docker lists
-- "name=rootless"; the collector added it for Podman): carry that over until their next collection.
UPDATE "host" SET "rootless" = true WHERE 'name=rootless' = ANY ("security_options");
