/**
 * "This engine host is that VM": links each container-engine host of a customer to the virtual
 * machine it runs in, whichever sources they came from, so a container is seen as
 * container → engine host → VM → hypervisor host.
 *
 * Keys, strongest first: the host's hardware UUID equal to the VM's BIOS UUID; a MAC address they
 * share; the same short hostname; an IP address they share that no other VM reports (not
 * loopback). Case is ignored.
 * The key that matched is recorded in host.vm_link_key. Every step
 * is a hash join, so linking stays cheap at 100k VMs.
 */
import type pg from "pg";

export async function linkEngineHostsToVms(client: pg.PoolClient, customerId: string) {
  const { rows } = await client.query<{ updated: number }>(
    `WITH engine AS MATERIALIZED (
       SELECT h.id, h.hardware_uuid, h.mac_addresses, h.ip_addresses, split_part(lower(h.hostname), '.', 1) AS hn
         FROM host h JOIN source s ON s.id = h.source_id
        WHERE s.customer_id = $1 AND h.role = 'container-engine'
     ), vm AS MATERIALIZED (
       SELECT v.id, v.uuid, v.mac_addresses, v.ip_addresses, split_part(lower(v.hostname), '.', 1) AS hn
         FROM virtual_machine v JOIN source s ON s.id = v.source_id
        WHERE s.customer_id = $1 AND NOT v.template
     ), candidate AS (
       SELECT e.id AS host_id, v.id AS vm_id, 'uuid' AS key, 1 AS rank
         FROM engine e JOIN vm v ON lower(v.uuid) = lower(e.hardware_uuid)
       UNION ALL
       SELECT e.id, v.id, 'mac', 2
         FROM (SELECT id, lower(unnest(mac_addresses)) AS mac FROM engine) e
         JOIN (SELECT id, lower(unnest(mac_addresses)) AS mac FROM vm) v ON v.mac = e.mac
       UNION ALL
       SELECT e.id, v.id, 'hostname', 3
         FROM engine e JOIN vm v ON v.hn = e.hn AND e.hn <> ''
       UNION ALL
       SELECT e.id, v.id, 'ip', 4
         FROM (SELECT id, unnest(ip_addresses) AS ip FROM engine) e
         JOIN (SELECT id, ip, count(*) OVER (PARTITION BY ip) AS holders
                 FROM (SELECT DISTINCT id, unnest(ip_addresses) AS ip FROM vm) x) v ON v.ip = e.ip
        WHERE v.holders = 1 AND e.ip !~* '^(127\.|0\.0\.0\.0$|::1?$|localhost$)'
     ), best AS (
       SELECT DISTINCT ON (host_id) host_id, vm_id, key
         FROM candidate ORDER BY host_id, rank, vm_id
     ), updated AS (
       UPDATE host h SET vm_id = b.vm_id, vm_link_key = b.key
         FROM engine e LEFT JOIN best b ON b.host_id = e.id
        WHERE h.id = e.id
          AND (h.vm_id IS DISTINCT FROM b.vm_id OR h.vm_link_key IS DISTINCT FROM b.key)
       RETURNING 1
     )
     SELECT count(*)::int AS updated FROM updated`,
    [customerId],
  );
  return rows[0]?.updated ?? 0;
}
