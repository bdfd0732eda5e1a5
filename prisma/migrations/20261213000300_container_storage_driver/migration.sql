-- LXD (issue 20): the driver of the storage pool holding a system container's root disk (on "dir" each
-- instance holds its own copy of its image). Filled by the source's next collection.
ALTER TABLE "container" ADD COLUMN "storage_driver" TEXT;
