-- Templates not used (issue 17): when a VM was last deployed or cloned from a template, and since
-- when vCenter's events were read (null: not read, nothing can be said).
ALTER TABLE "virtual_machine" ADD COLUMN "template_last_used_at" TIMESTAMPTZ(3);
ALTER TABLE "virtual_machine" ADD COLUMN "template_use_read_since" TIMESTAMPTZ(3);
