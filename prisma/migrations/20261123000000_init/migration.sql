-- Fleetlens inventory: customers, sources, collection runs, hosts, virtual machines, containers,
-- images and layers. Names follow Prisma's conventions (<table>_pkey, <table>_<cols>_key/_idx/_fkey).

-- CreateEnum
CREATE TYPE "source_kind" AS ENUM ('vsphere', 'libvirt', 'docker', 'demo', 'rvtools');
CREATE TYPE "run_status" AS ENUM ('running', 'succeeded', 'failed');
CREATE TYPE "host_role" AS ENUM ('hypervisor', 'container-engine');
CREATE TYPE "power_state" AS ENUM ('poweredOn', 'poweredOff', 'suspended');
CREATE TYPE "os_family" AS ENUM ('linux', 'windows', 'other', 'unknown');

-- CreateTable
CREATE TABLE "customer" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "is_demo" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "customer_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "source" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "customer_id" UUID NOT NULL,
    "kind" "source_kind" NOT NULL,
    "name" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "username" TEXT,
    "secret" BYTEA,
    "options" JSONB NOT NULL DEFAULT '{}',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "interval_seconds" INTEGER NOT NULL DEFAULT 3600,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "source_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "collection_run" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "source_id" UUID NOT NULL,
    "status" "run_status" NOT NULL DEFAULT 'running',
    "trigger" TEXT NOT NULL DEFAULT 'manual',
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),
    "duration_ms" INTEGER,
    "added" INTEGER NOT NULL DEFAULT 0,
    "changed" INTEGER NOT NULL DEFAULT 0,
    "removed" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "warnings" TEXT[] DEFAULT ARRAY[]::TEXT[],
    CONSTRAINT "collection_run_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "metrics_sample" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "source_id" UUID NOT NULL,
    "run_id" UUID NOT NULL,
    "collected_at" TIMESTAMPTZ(3) NOT NULL,
    "hosts" INTEGER NOT NULL,
    "virtual_machines" INTEGER NOT NULL,
    "vms_powered_on" INTEGER NOT NULL,
    "containers" INTEGER NOT NULL,
    "containers_running" INTEGER NOT NULL,
    "images" INTEGER NOT NULL,
    "physical_cores" INTEGER NOT NULL,
    "physical_memory_mib" DOUBLE PRECISION NOT NULL,
    "vcpus_powered_on" INTEGER NOT NULL,
    "vm_memory_mib_powered_on" DOUBLE PRECISION NOT NULL,
    CONSTRAINT "metrics_sample_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "host" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "source_id" UUID NOT NULL,
    "external_id" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "host_role" NOT NULL,
    "platform" TEXT NOT NULL,
    "vendor" TEXT,
    "model" TEXT,
    "cpu_model" TEXT,
    "cpu_sockets" INTEGER,
    "cpu_cores" INTEGER NOT NULL,
    "cpu_threads" INTEGER,
    "cpu_mhz" INTEGER,
    "memory_mib" DOUBLE PRECISION NOT NULL,
    "os_name" TEXT,
    "kernel_version" TEXT,
    "product_name" TEXT,
    "product_version" TEXT,
    "product_build" TEXT,
    "api_version" TEXT,
    "datacenter" TEXT,
    "cluster" TEXT,
    "connection_state" TEXT,
    "power_state" TEXT,
    "hardware_uuid" TEXT,
    "hostname" TEXT,
    "ip_addresses" TEXT[],
    "mac_addresses" TEXT[],
    "runtimes" TEXT[],
    "default_runtime" TEXT,
    "security_options" TEXT[],
    "cgroup_driver" TEXT,
    "cgroup_version" TEXT,
    "memory_sharing" TEXT NOT NULL,
    "memory_shared_mib" DOUBLE PRECISION,
    "vm_id" UUID,
    "vm_link_key" TEXT,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "host_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "virtual_machine" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "source_id" UUID NOT NULL,
    "external_id" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "host_id" UUID,
    "name" TEXT NOT NULL,
    "uuid" TEXT,
    "instance_uuid" TEXT,
    "power_state" "power_state" NOT NULL,
    "template" BOOLEAN NOT NULL,
    "vcpus" INTEGER NOT NULL,
    "cores_per_socket" INTEGER,
    "memory_mib" DOUBLE PRECISION NOT NULL,
    "memory_active_mib" DOUBLE PRECISION,
    "memory_ballooned_mib" DOUBLE PRECISION,
    "provisioned_mib" DOUBLE PRECISION,
    "used_mib" DOUBLE PRECISION,
    "guest_disk_capacity_mib" DOUBLE PRECISION,
    "guest_disk_free_mib" DOUBLE PRECISION,
    "guest_os_configured" TEXT,
    "guest_os_reported" TEXT,
    "guest_os_id" TEXT,
    "guest_os_family" "os_family" NOT NULL,
    "hostname" TEXT,
    "ip_addresses" TEXT[],
    "mac_addresses" TEXT[],
    "nic_count" INTEGER,
    "snapshot_count" INTEGER NOT NULL,
    "snapshot_oldest_at" TIMESTAMPTZ(3),
    "tools_status" TEXT,
    "tools_version" TEXT,
    "hardware_version" TEXT,
    "datacenter" TEXT,
    "cluster" TEXT,
    "folder" TEXT,
    "resource_pool" TEXT,
    "annotation" TEXT,
    "cbt_enabled" BOOLEAN,
    "consolidation_needed" BOOLEAN NOT NULL,
    "passthrough" BOOLEAN NOT NULL,
    "sriov" BOOLEAN NOT NULL,
    "usb_controller" BOOLEAN NOT NULL,
    "tpm" BOOLEAN NOT NULL,
    "cpu_hot_add" BOOLEAN NOT NULL,
    "memory_hot_add" BOOLEAN NOT NULL,
    "cpu_affinity" BOOLEAN NOT NULL,
    "rdm_disk" BOOLEAN NOT NULL,
    "shared_disk" BOOLEAN NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "virtual_machine_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "virtual_disk" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "vm_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "label" TEXT,
    "capacity_mib" DOUBLE PRECISION NOT NULL,
    "thin" BOOLEAN,
    "mode" TEXT NOT NULL,
    "rdm" TEXT NOT NULL,
    "sharing" TEXT NOT NULL,
    "datastore" TEXT,
    "path" TEXT,
    "format" TEXT,
    CONSTRAINT "virtual_disk_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "container" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "source_id" UUID NOT NULL,
    "external_id" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "host_id" UUID NOT NULL,
    "image_id" UUID,
    "name" TEXT NOT NULL,
    "image" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "status" TEXT,
    "created_at" TIMESTAMPTZ(3),
    "started_at" TIMESTAMPTZ(3),
    "runtime" TEXT,
    "command" TEXT,
    "privileged" BOOLEAN NOT NULL,
    "cap_add" TEXT[],
    "cap_drop" TEXT[],
    "user_name" TEXT,
    "network_mode" TEXT,
    "pid_mode" TEXT,
    "ipc_mode" TEXT,
    "uts_mode" TEXT,
    "userns_mode" TEXT,
    "security_options" TEXT[],
    "seccomp_profile" TEXT,
    "apparmor_profile" TEXT,
    "no_new_privileges" BOOLEAN NOT NULL,
    "read_only_rootfs" BOOLEAN NOT NULL,
    "memory_limit_bytes" BIGINT NOT NULL,
    "memory_reservation_bytes" BIGINT NOT NULL,
    "cpu_shares" INTEGER NOT NULL,
    "nano_cpus" BIGINT NOT NULL,
    "cpu_quota" BIGINT NOT NULL,
    "cpu_period" BIGINT NOT NULL,
    "cpuset_cpus" TEXT,
    "pids_limit" BIGINT,
    "restart_policy" TEXT,
    "health" TEXT,
    "devices" TEXT[],
    "labels" JSONB NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "container_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "container_mount" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "container_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "source" TEXT,
    "destination" TEXT NOT NULL,
    "read_only" BOOLEAN NOT NULL,
    "propagation" TEXT,
    CONSTRAINT "container_mount_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "container_port" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "container_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "container_port" INTEGER NOT NULL,
    "protocol" TEXT NOT NULL,
    "host_ip" TEXT,
    "host_port" INTEGER,
    CONSTRAINT "container_port_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "image" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "source_id" UUID NOT NULL,
    "external_id" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "host_id" UUID NOT NULL,
    "repo_tags" TEXT[],
    "repo_digests" TEXT[],
    "size_bytes" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3),
    "os" TEXT,
    "architecture" TEXT,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "image_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "layer" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "source_id" UUID NOT NULL,
    "digest" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    CONSTRAINT "layer_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "image_layer" (
    "image_id" UUID NOT NULL,
    "layer_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    CONSTRAINT "image_layer_pkey" PRIMARY KEY ("image_id","position")
);

CREATE TABLE "app_setting" (
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "app_setting_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE UNIQUE INDEX "customer_name_key" ON "customer"("name");
CREATE INDEX "source_customer_id_idx" ON "source"("customer_id");
CREATE UNIQUE INDEX "source_customer_id_name_key" ON "source"("customer_id", "name");
CREATE INDEX "collection_run_source_id_started_at_idx" ON "collection_run"("source_id", "started_at" DESC);
CREATE UNIQUE INDEX "metrics_sample_run_id_key" ON "metrics_sample"("run_id");
CREATE INDEX "metrics_sample_source_id_collected_at_idx" ON "metrics_sample"("source_id", "collected_at");
CREATE INDEX "host_vm_id_idx" ON "host"("vm_id");
CREATE UNIQUE INDEX "host_source_id_external_id_key" ON "host"("source_id", "external_id");
CREATE INDEX "virtual_machine_host_id_idx" ON "virtual_machine"("host_id");
CREATE INDEX "virtual_machine_uuid_idx" ON "virtual_machine"("uuid");
CREATE INDEX "virtual_machine_mac_addresses_idx" ON "virtual_machine" USING GIN ("mac_addresses");
CREATE UNIQUE INDEX "virtual_machine_source_id_external_id_key" ON "virtual_machine"("source_id", "external_id");
CREATE UNIQUE INDEX "virtual_disk_vm_id_key_key" ON "virtual_disk"("vm_id", "key");
CREATE INDEX "container_host_id_idx" ON "container"("host_id");
CREATE INDEX "container_image_id_idx" ON "container"("image_id");
CREATE UNIQUE INDEX "container_source_id_external_id_key" ON "container"("source_id", "external_id");
CREATE UNIQUE INDEX "container_mount_container_id_position_key" ON "container_mount"("container_id", "position");
CREATE UNIQUE INDEX "container_port_container_id_position_key" ON "container_port"("container_id", "position");
CREATE INDEX "image_host_id_idx" ON "image"("host_id");
CREATE UNIQUE INDEX "image_source_id_external_id_key" ON "image"("source_id", "external_id");
CREATE INDEX "layer_digest_idx" ON "layer"("digest");
CREATE UNIQUE INDEX "layer_source_id_digest_key" ON "layer"("source_id", "digest");
CREATE INDEX "image_layer_layer_id_idx" ON "image_layer"("layer_id");

-- AddForeignKey
ALTER TABLE "source" ADD CONSTRAINT "source_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "collection_run" ADD CONSTRAINT "collection_run_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "source"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "metrics_sample" ADD CONSTRAINT "metrics_sample_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "source"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "metrics_sample" ADD CONSTRAINT "metrics_sample_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "collection_run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "host" ADD CONSTRAINT "host_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "source"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "host" ADD CONSTRAINT "host_vm_id_fkey" FOREIGN KEY ("vm_id") REFERENCES "virtual_machine"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "virtual_machine" ADD CONSTRAINT "virtual_machine_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "source"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "virtual_machine" ADD CONSTRAINT "virtual_machine_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "host"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "virtual_disk" ADD CONSTRAINT "virtual_disk_vm_id_fkey" FOREIGN KEY ("vm_id") REFERENCES "virtual_machine"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "container" ADD CONSTRAINT "container_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "source"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "container" ADD CONSTRAINT "container_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "host"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "container" ADD CONSTRAINT "container_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "container_mount" ADD CONSTRAINT "container_mount_container_id_fkey" FOREIGN KEY ("container_id") REFERENCES "container"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "container_port" ADD CONSTRAINT "container_port_container_id_fkey" FOREIGN KEY ("container_id") REFERENCES "container"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "image" ADD CONSTRAINT "image_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "source"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "image" ADD CONSTRAINT "image_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "host"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "layer" ADD CONSTRAINT "layer_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "source"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "image_layer" ADD CONSTRAINT "image_layer_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "image_layer" ADD CONSTRAINT "image_layer_layer_id_fkey" FOREIGN KEY ("layer_id") REFERENCES "layer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
