-- LXD/Incus system containers (issue 20): what the isolation rules read of a system container.
-- Rows stored before this are application containers (the defaults say so) and are rewritten by
-- their source's next collection (a new column changes every fingerprint once).
ALTER TABLE "container"
    ADD COLUMN "system_container" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "nesting" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "idmap_isolated" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "raw_lxc" TEXT,
    ADD COLUMN "raw_idmap" TEXT,
    ADD COLUMN "project" TEXT,
    ADD COLUMN "profiles" TEXT[] DEFAULT ARRAY[]::TEXT[],
    ADD COLUMN "snapshot_count" INTEGER NOT NULL DEFAULT 0;
