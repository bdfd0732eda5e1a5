-- What each VM is (vApp/OVF product, managing solution, title, tags, custom attributes) and the facts
-- Forklift's VMware rules read that were not stored: CPU hot-remove, fault tolerance, disk.EnableUUID,
-- numa.nodeAffinity, VM-Host affinity, per-filesystem guest space, per-disk CBT and bus, cluster DRS/DPM.
-- Rows stored before this are filled by their source's next collection (a new column changes every
-- fingerprint once).
ALTER TABLE "virtual_machine"
    ADD COLUMN "product" JSONB,
    ADD COLUMN "managed_by" JSONB,
    ADD COLUMN "title" TEXT,
    ADD COLUMN "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    ADD COLUMN "attributes" JSONB NOT NULL DEFAULT '{}',
    ADD COLUMN "cpu_hot_remove" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "fault_tolerance" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "disk_enable_uuid" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "numa_node_affinity" TEXT[] DEFAULT ARRAY[]::TEXT[],
    ADD COLUMN "host_affinity" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "guest_filesystems" JSONB NOT NULL DEFAULT '[]';

ALTER TABLE "virtual_disk"
    ADD COLUMN "cbt_enabled" BOOLEAN,
    ADD COLUMN "bus" TEXT;

ALTER TABLE "host"
    ADD COLUMN "drs_enabled" BOOLEAN,
    ADD COLUMN "dpm_enabled" BOOLEAN;
