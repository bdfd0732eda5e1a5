-- LXD (issue 20): the host's local disks together, from /1.0/resources (removable ones left out).
-- Filled by the source's next collection; null for sources that do not say.
ALTER TABLE "host" ADD COLUMN "local_disk_mib" DOUBLE PRECISION;
