/** The demo customers: their estates (sites, platforms, sizes, tenants), and the benchmark fleet's. */
import { Rng } from "./random";

export interface DemoCustomer {
  key: string;
  name: string;
}
/** Mean containers per engine host in the benchmark fleet. */
const FLEET_CONTAINERS_PER_ENGINE = 40;

export type Platform = "esxi" | "kvm";

export interface Site {
  datacenter: string;
  platform: Platform;
  share: number;
}

export interface Profile {
  customer: DemoCustomer;
  /** VM and host name prefix: "nw" gives "nw-web-01". */
  prefix: string;
  domain: string;
  /** Second octet of the customer's 10.x.y.z addresses. */
  octet: number;
  vms: number;
  /** VMs per vSphere cluster / KVM host group. */
  clusterVms: number;
  sites: Site[];
  /** Share of the powered-on Linux VMs that run a container engine. */
  engineShare: number;
  containersPerEngine: number;
  /** Share of engine hosts running the containers of two or three tenants side by side. */
  sharedTenancy: number;
  /** Share of engine hosts whose containers are deployed with limits and hardening options. */
  hardened: number;
  tenants: string[];
}

export const PROFILES: Profile[] = [
  {
    customer: { key: "northwind", name: "Northwind Traders" },
    prefix: "nw",
    domain: "northwind.example",
    octet: 10,
    vms: 140,
    clusterVms: 120,
    sites: [{ datacenter: "NW-DC1", platform: "esxi", share: 1 }],
    engineShare: 0.08,
    containersPerEngine: 20,
    sharedTenancy: 0.3,
    hardened: 0.3,
    tenants: ["retail", "warehouse", "finance"],
  },
  {
    customer: { key: "acme", name: "Acme Dental Group" },
    prefix: "ac",
    domain: "acme-dental.example",
    octet: 20,
    vms: 16,
    clusterVms: 120,
    sites: [{ datacenter: "AC-MAIN", platform: "esxi", share: 1 }],
    engineShare: 0.15,
    containersPerEngine: 12,
    sharedTenancy: 0.5,
    hardened: 0.2,
    tenants: ["clinics", "orthodontics"],
  },
  {
    customer: { key: "globex", name: "Globex Research" },
    prefix: "gx",
    domain: "globex.example",
    octet: 30,
    vms: 90,
    clusterVms: 120,
    sites: [
      { datacenter: "GX-LAB", platform: "kvm", share: 0.7 },
      { datacenter: "GX-HQ", platform: "esxi", share: 0.3 },
    ],
    engineShare: 0.12,
    containersPerEngine: 25,
    sharedTenancy: 0.3,
    hardened: 0.4,
    tenants: ["genomics", "imaging", "admin"],
  },
  {
    customer: { key: "initech", name: "Initech Cloud Services" },
    prefix: "it",
    domain: "initech.example",
    octet: 40,
    vms: 30,
    clusterVms: 120,
    sites: [{ datacenter: "IT-FRA1", platform: "esxi", share: 1 }],
    engineShare: 0.7,
    containersPerEngine: 60,
    sharedTenancy: 0.4,
    hardened: 0.35,
    tenants: ["aurora-labs", "bluefin", "copperleaf", "driftwood"],
  },
  {
    customer: { key: "blueharbor", name: "Blue Harbor Credit Union" },
    prefix: "bh",
    domain: "blueharbor.example",
    octet: 50,
    vms: 200,
    clusterVms: 120,
    sites: [
      { datacenter: "BH-PRIMARY", platform: "esxi", share: 0.65 },
      { datacenter: "BH-DR", platform: "esxi", share: 0.35 },
    ],
    engineShare: 0.04,
    containersPerEngine: 15,
    sharedTenancy: 0.2,
    hardened: 0.5,
    tenants: ["core-banking", "digital", "operations"],
  },
];

export const DEMO_CUSTOMERS: DemoCustomer[] = PROFILES.map((p) => ({ ...p.customer }));

export function fleetProfile(vms: number): Profile {
  const esxiSites = Math.max(1, Math.ceil(vms / 25_000));
  const sites: Site[] = Array.from({ length: esxiSites }, (_, i) => ({
    datacenter: `FL-DC${i + 1}`,
    platform: "esxi",
    share: 0.8 / esxiSites,
  }));
  sites.push({ datacenter: "FL-KVM1", platform: "kvm", share: 0.2 });
  return {
    customer: { key: "fleet", name: "Benchmark Fleet" },
    prefix: "fl",
    domain: "fleet.example",
    octet: 100,
    vms,
    clusterVms: 250,
    sites,
    engineShare: 0,
    containersPerEngine: FLEET_CONTAINERS_PER_ENGINE,
    sharedTenancy: 0.2,
    hardened: 0.35,
    tenants: ["tenant-a", "tenant-b", "tenant-c", "tenant-d", "tenant-e", "tenant-f"],
  };
}

/** Containers per engine host, around the profile's mean; engines among `candidates` Linux VMs. */
export function customerContainerCounts(profile: Profile, perEngine: number, candidates: number, rng: Rng): number[] {
  if (perEngine === 0 || candidates === 0) return [];
  const engines = Math.min(candidates, Math.max(1, Math.round(candidates * profile.engineShare)));
  return Array.from({ length: engines }, () => Math.max(1, Math.round(perEngine * rng.range(0.5, 1.5))));
}

/** Exactly `total` containers over about total/40 engine hosts, each a random share of it. */
export function splitExactly(total: number, candidates: number, rng: Rng): number[] {
  if (total === 0 || candidates === 0) return [];
  const engines = Math.min(candidates, Math.max(1, Math.round(total / FLEET_CONTAINERS_PER_ENGINE)));
  const weights = Array.from({ length: engines }, () => rng.range(0.5, 1.5));
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.floor((total * w) / weightSum));
  const remainder = total - counts.reduce((a, b) => a + b, 0);
  return counts.map((c, i) => (i < remainder ? c + 1 : c));
}
