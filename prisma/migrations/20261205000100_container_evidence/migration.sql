-- Container evidence the CIS Docker Benchmark (docker-bench-security v1.6.1) and Kata's limitations
-- read that was not stored: the daemon-wide no-new-privileges setting (5.26), a container's links
-- (Kata does not support --link) and whether an image has a HEALTHCHECK (4.6). Rows stored before
-- this are filled by their source's next collection (a new column changes every fingerprint once).
ALTER TABLE "host"
    ADD COLUMN "daemon_no_new_privileges" BOOLEAN;

ALTER TABLE "container"
    ADD COLUMN "links" TEXT[] DEFAULT ARRAY[]::TEXT[];

ALTER TABLE "image"
    ADD COLUMN "healthcheck" BOOLEAN;
