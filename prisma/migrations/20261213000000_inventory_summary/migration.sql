-- Inventory totals kept at ingest (issue 19, bench/api): the fleet overview's, the customer page's and
-- the KPI tiles' counts read one row per source instead of counting every host, VM and container of
-- the customers in scope on each call (500,000 containers: 0.4-1 s a call, 7-20 s with 20 at once).
--
-- One row per source that has been ingested, written by applySnapshot in its transaction
-- (refresh_inventory_summary below, the one definition of the figures): a failed ingest changes
-- nothing here either. The figures are those the overview and the KPI tiles counted from scratch
-- (server/inventory/overview.ts, kpis.ts): physical hosts are the hypervisors and the engine hosts
-- that run in no VM, vCPUs and VMs "powered on" leave templates out.
CREATE TABLE "inventory_summary" (
    "source_id" UUID NOT NULL,
    "hosts" INTEGER NOT NULL DEFAULT 0,
    "hypervisors" INTEGER NOT NULL DEFAULT 0,
    "engine_hosts" INTEGER NOT NULL DEFAULT 0,
    "physical_hosts" INTEGER NOT NULL DEFAULT 0,
    "physical_cores" BIGINT NOT NULL DEFAULT 0,
    "virtual_machines" INTEGER NOT NULL DEFAULT 0,
    "vms_powered_on" INTEGER NOT NULL DEFAULT 0,
    "vcpus_powered_on" BIGINT NOT NULL DEFAULT 0,
    "containers" INTEGER NOT NULL DEFAULT 0,
    "containers_running" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inventory_summary_pkey" PRIMARY KEY ("source_id")
);

ALTER TABLE "inventory_summary" ADD CONSTRAINT "inventory_summary_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "source"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The source's totals counted from its rows (`p_source`, when given), and the host figures of every
-- source of the customer: linking engine hosts to VMs (server/inventory/topology.ts) runs across the
-- customer's sources, so an ingest of one source can make another's engine host physical or not.
CREATE FUNCTION refresh_inventory_summary(p_customer UUID, p_source UUID) RETURNS void
LANGUAGE sql AS $fn$
  INSERT INTO inventory_summary AS t (source_id, hosts, hypervisors, engine_hosts, physical_hosts, physical_cores,
                                      virtual_machines, vms_powered_on, vcpus_powered_on, containers, containers_running, updated_at)
  SELECT p_source, h.hosts, h.hypervisors, h.engine_hosts, h.physical_hosts, h.physical_cores,
         v.vms, v.vms_on, v.vcpus_on, k.containers, k.running, now()
    FROM (SELECT count(*)::int AS hosts,
                 count(*) FILTER (WHERE role = 'hypervisor')::int AS hypervisors,
                 count(*) FILTER (WHERE role = 'container-engine')::int AS engine_hosts,
                 count(*) FILTER (WHERE role = 'hypervisor' OR vm_id IS NULL)::int AS physical_hosts,
                 coalesce(sum(cpu_cores) FILTER (WHERE role = 'hypervisor' OR vm_id IS NULL), 0)::bigint AS physical_cores
            FROM host WHERE source_id = p_source) h,
         (SELECT count(*)::int AS vms,
                 count(*) FILTER (WHERE power_state = 'poweredOn' AND NOT template)::int AS vms_on,
                 coalesce(sum(vcpus) FILTER (WHERE power_state = 'poweredOn' AND NOT template), 0)::bigint AS vcpus_on
            FROM virtual_machine WHERE source_id = p_source) v,
         (SELECT count(*)::int AS containers, count(*) FILTER (WHERE state = 'running')::int AS running
            FROM container WHERE source_id = p_source) k
   WHERE p_source IS NOT NULL AND EXISTS (SELECT 1 FROM source WHERE id = p_source)
  ON CONFLICT (source_id) DO UPDATE
    SET hosts = excluded.hosts, hypervisors = excluded.hypervisors, engine_hosts = excluded.engine_hosts,
        physical_hosts = excluded.physical_hosts, physical_cores = excluded.physical_cores,
        virtual_machines = excluded.virtual_machines, vms_powered_on = excluded.vms_powered_on,
        vcpus_powered_on = excluded.vcpus_powered_on, containers = excluded.containers,
        containers_running = excluded.containers_running, updated_at = excluded.updated_at;

  UPDATE inventory_summary t
     SET physical_hosts = x.physical_hosts, physical_cores = x.physical_cores, updated_at = now()
    FROM (SELECT s.id,
                 (SELECT count(*) FROM host h WHERE h.source_id = s.id AND (h.role = 'hypervisor' OR h.vm_id IS NULL))::int AS physical_hosts,
                 (SELECT coalesce(sum(h.cpu_cores), 0) FROM host h WHERE h.source_id = s.id AND (h.role = 'hypervisor' OR h.vm_id IS NULL))::bigint AS physical_cores
            FROM source s WHERE s.customer_id = p_customer) x
   WHERE t.source_id = x.id
     AND (t.physical_hosts, t.physical_cores) IS DISTINCT FROM (x.physical_hosts, x.physical_cores);
$fn$;

-- A deleted source takes its rows and its summary with it (cascade), and unlinks the engine hosts of
-- the customer's other sources that ran in its VMs (host.vm_id SET NULL): their host figures are
-- counted again once the deletion's cascades are done (deferred to the end of the transaction).
CREATE FUNCTION inventory_summary_source_deleted() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM refresh_inventory_summary(OLD.customer_id, NULL);
  RETURN NULL;
END
$fn$;

CREATE CONSTRAINT TRIGGER "inventory_summary_source_deleted" AFTER DELETE ON "source"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION inventory_summary_source_deleted();

-- The inventory as it is now.
SELECT refresh_inventory_summary(customer_id, id) FROM source;

-- The customer page's tables sort by name first (then id): an index in that order serves their first
-- pages without sorting every row of the customer (inventory.containers: 500,000 rows sorted a page).
CREATE INDEX "host_name_id_idx" ON "host"("name", "id");
CREATE INDEX "virtual_machine_name_id_idx" ON "virtual_machine"("name", "id");
CREATE INDEX "container_name_id_idx" ON "container"("name", "id");

-- What a page needs of a stored analysis (analysis.customer's summary, the KPI tiles' figures),
-- encoded apart from the whole analysis (server/analysis/stored.ts): 126 MB gzipped for 550,000
-- workloads, a minute to decode; the summary is a few hundred kB.
ALTER TABLE "customer_analysis" ADD COLUMN "summary" BYTEA;
