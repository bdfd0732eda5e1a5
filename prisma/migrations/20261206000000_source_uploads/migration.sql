-- Uploaded files (RVTools exports): every upload is a collection run that reads the file the
-- server keeps in its own folder (FLEETLENS_DATA_DIR/uploads/<source id>/<upload_file>).
-- upload_file is null for runs that read no upload, and once an old upload's file is pruned.
ALTER TABLE "collection_run"
    ADD COLUMN "upload_file" TEXT,
    ADD COLUMN "upload_name" TEXT,
    ADD COLUMN "upload_bytes" BIGINT;
