package main

// VMs that mimic what real estates hold (with -identities): vendor appliances with their OVF
// product (config.vAppConfig.product, summary.config.product), a vCLS system VM managed by ESX
// Agent Manager (config.managedBy), a nested ESXi (vmkernel guest id), Kubernetes nodes named as
// Cluster API/TKG, OpenShift and Rancher name them, a template, a VDI desktop, database servers and
// a general Linux VM; custom attributes through the CustomFieldsManager. Written to
// <manifest>.identities.json: what each VM was given, for the tests to compare with the snapshot.
//
// What vcsim cannot mimic: tags (its vAPI endpoint exists but the collector does not read tags),
// the OVF environment and vApp properties (only the product is set), and the guest tools' own
// detection (guest.guestFullName is set here as the tools would report it).

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"
)

type identityProduct struct {
	Name        string `json:"name"`
	Vendor      string `json:"vendor"`
	Version     string `json:"version"`
	FullVersion string `json:"fullVersion"`
	ProductURL  string `json:"productUrl"`
	VendorURL   string `json:"vendorUrl"`
}

type identityManagedBy struct {
	ExtensionKey string `json:"extensionKey"`
	Type         string `json:"type"`
}

type identity struct {
	Moref      string             `json:"moref"`
	Name       string             `json:"name"`
	Role       string             `json:"role"` // what the VM is meant to be; the classifier's expectation
	GuestID    string             `json:"guestId"`
	Configured string             `json:"guestFullName"`
	Reported   string             `json:"reportedGuestFullName"`
	Annotation string             `json:"annotation"`
	Template   bool               `json:"template"`
	PoweredOn  bool               `json:"poweredOn"`
	Product    *identityProduct   `json:"product"`
	ManagedBy  *identityManagedBy `json:"managedBy"`
	Attributes map[string]string  `json:"attributes"`
	MemoryMB   int64              `json:"memoryMB"`
	CPUs       int32              `json:"cpus"`
}

func vmwareProduct(name, version, build string) *identityProduct {
	return &identityProduct{Name: name, Vendor: "VMware Inc.", Version: version, FullVersion: version + " build-" + build,
		VendorURL: "http://www.vmware.com", ProductURL: ""}
}

const vclsAnnotation = "vSphere Cluster Service VM is deployed from an OVA with a minimal installed profile of PhotonOS. " +
	"vSphere Cluster Service manages the resources, power state and availability of these VMs."

var identitySpecs = []identity{
	{Name: "vcsa-01", Role: "appliance", GuestID: "vmwarePhoton64Guest", Configured: "VMware Photon OS (64-bit)", Reported: "VMware Photon OS (64-bit)",
		PoweredOn: true, MemoryMB: 19456, CPUs: 4, Product: vmwareProduct("VMware vCenter Server Appliance", "8.0.2.00100", "22617221")},
	{Name: "nsx-mgr-01", Role: "appliance", GuestID: "ubuntu64Guest", Configured: "Ubuntu Linux (64-bit)", Reported: "Ubuntu 20.04.6 LTS (64-bit)",
		PoweredOn: true, MemoryMB: 24576, CPUs: 6, Product: vmwareProduct("NSX", "4.1.2.1.0", "22667789")},
	{Name: "vrops-01", Role: "appliance", GuestID: "other3xLinux64Guest", Configured: "Other 3.x Linux (64-bit)", Reported: "VMware Photon OS (64-bit)",
		PoweredOn: true, MemoryMB: 32768, CPUs: 8, Product: vmwareProduct("vRealize Operations Manager Appliance", "8.10.2.21178503", "21178503")},
	{Name: "loginsight-01", Role: "appliance", GuestID: "other3xLinux64Guest", Configured: "Other 3.x Linux (64-bit)", Reported: "VMware Photon OS (64-bit)",
		PoweredOn: true, MemoryMB: 16384, CPUs: 4, Product: vmwareProduct("VMware vRealize Log Insight", "8.10.2", "21145187")},
	{Name: "uag-01", Role: "appliance", GuestID: "other3xLinux64Guest", Configured: "Other 3.x Linux (64-bit)", Reported: "VMware Photon OS (64-bit)",
		PoweredOn: true, MemoryMB: 4096, CPUs: 2, Product: vmwareProduct("VMware Unified Access Gateway", "22.12.0.0", "21062217")},
	{Name: "haproxy-lb-01", Role: "appliance", GuestID: "vmwarePhoton64Guest", Configured: "VMware Photon OS (64-bit)", Reported: "VMware Photon OS (64-bit)",
		PoweredOn: true, MemoryMB: 2048, CPUs: 2,
		Product: &identityProduct{Name: "Cluster API vSphere HAProxy Load Balancer", Vendor: "VMware Inc.", Version: "v0.6.4",
			FullVersion: "v0.6.4", ProductURL: "https://github.com/kubernetes-sigs/cluster-api-provider-vsphere", VendorURL: "https://vmware.com"}},
	{Name: "vCLS-1f2a6c3e-7b1d-4c2e-9a8f-0d3b5e7c9a11", Role: "system", GuestID: "vmwarePhoton64Guest", Configured: "VMware Photon OS (64-bit)",
		Reported: "VMware Photon OS (64-bit)", Annotation: vclsAnnotation, PoweredOn: true, MemoryMB: 128, CPUs: 1,
		ManagedBy: &identityManagedBy{ExtensionKey: "com.vmware.vim.eam", Type: "cluster-agent"}},
	{Name: "esxi-nested-01", Role: "nested-hypervisor", GuestID: "vmkernel7Guest", Configured: "VMware ESXi 7.0 or later", Reported: "VMware ESXi 7.0 or later",
		PoweredOn: true, MemoryMB: 32768, CPUs: 8},
	{Name: "tkg-wl01-control-plane-7xk2p", Role: "kubernetes-node", GuestID: "vmwarePhoton64Guest", Configured: "VMware Photon OS (64-bit)",
		Reported: "VMware Photon OS (64-bit)", PoweredOn: true, MemoryMB: 8192, CPUs: 2,
		Attributes: map[string]string{"cluster.x-k8s.io/cluster-name": "tkg-wl01", "cluster.x-k8s.io/control-plane": "true"}},
	{Name: "tkg-wl01-md-0-5c7d9b8f6-qz4lm", Role: "kubernetes-node", GuestID: "ubuntu64Guest", Configured: "Ubuntu Linux (64-bit)",
		Reported: "Ubuntu 22.04.4 LTS (64-bit)", PoweredOn: true, MemoryMB: 16384, CPUs: 4,
		Attributes: map[string]string{"cluster.x-k8s.io/cluster-name": "tkg-wl01", "cluster.x-k8s.io/deployment-name": "tkg-wl01-md-0"}},
	{Name: "ocp-7h2kd-master-0", Role: "kubernetes-node", GuestID: "coreos64Guest", Configured: "CoreOS Linux (64-bit)",
		Reported: "Red Hat Enterprise Linux CoreOS 414.92 (64-bit)", PoweredOn: true, MemoryMB: 16384, CPUs: 4},
	{Name: "ocp-7h2kd-worker-0-x9c2v", Role: "kubernetes-node", GuestID: "coreos64Guest", Configured: "CoreOS Linux (64-bit)",
		Reported: "Red Hat Enterprise Linux CoreOS 414.92 (64-bit)", PoweredOn: true, MemoryMB: 16384, CPUs: 4},
	{Name: "rancher-k3s-node-01", Role: "kubernetes-node", GuestID: "ubuntu64Guest", Configured: "Ubuntu Linux (64-bit)",
		Reported: "Ubuntu 22.04.4 LTS (64-bit)", Annotation: "k3s agent, Rancher-provisioned (cluster downstream-01)", PoweredOn: true, MemoryMB: 8192, CPUs: 4},
	{Name: "tpl-rhel9", Role: "template", GuestID: "rhel9_64Guest", Configured: "Red Hat Enterprise Linux 9 (64-bit)", Template: true, MemoryMB: 4096, CPUs: 2},
	{Name: "vdi-win11-001", Role: "desktop", GuestID: "windows11_64Guest", Configured: "Microsoft Windows 11 (64-bit)",
		Reported: "Microsoft Windows 11 Enterprise (64-bit)", PoweredOn: true, MemoryMB: 8192, CPUs: 2},
	{Name: "sql-prod-01", Role: "database", GuestID: "windows2019srv_64Guest", Configured: "Microsoft Windows Server 2019 (64-bit)",
		Reported: "Microsoft Windows Server 2019 Datacenter (64-bit)", Annotation: "Microsoft SQL Server 2019 Enterprise — ERP database", PoweredOn: true,
		MemoryMB: 65536, CPUs: 8, Attributes: map[string]string{"Owner": "dba-team", "Application": "ERP"}},
	{Name: "pg-prod-01", Role: "database", GuestID: "rhel8_64Guest", Configured: "Red Hat Enterprise Linux 8 (64-bit)",
		Reported: "Red Hat Enterprise Linux 8.9 (64-bit)", Annotation: "PostgreSQL 15 primary", PoweredOn: true, MemoryMB: 32768, CPUs: 8,
		Attributes: map[string]string{"Owner": "dba-team"}},
	{Name: "web-01", Role: "general", GuestID: "debian12_64Guest", Configured: "Debian GNU/Linux 12 (64-bit)",
		Reported: "Debian GNU/Linux 12 (64-bit)", PoweredOn: true, MemoryMB: 4096, CPUs: 2, Attributes: map[string]string{"Owner": "web-team"}},
}

func vAppProduct(p *identityProduct) types.VAppProductInfo {
	return types.VAppProductInfo{Key: 0, Name: p.Name, Vendor: p.Vendor, Version: p.Version, FullVersion: p.FullVersion,
		ProductUrl: p.ProductURL, VendorUrl: p.VendorURL}
}

// identities creates the VMs above in the first cluster of the first datacenter and writes what
// each was given to <manifestPath>.identities.json (or nowhere without a manifest path).
func identities(ctx context.Context, c *vim25.Client, manifestPath string) {
	clusters := byName[*simulator.ClusterComputeResource]("ClusterComputeResource")
	if len(clusters) == 0 || len(clusters[0].Host) == 0 {
		must(fmt.Errorf("-identities needs a vCenter with a cluster"))
	}
	cluster := clusters[0]
	dc := datacenterOf(cluster)
	folder := object.NewFolder(c, dc.VmFolder)
	pool := object.NewResourcePool(c, *cluster.ResourcePool)
	host := object.NewHostSystem(c, cluster.Host[0])
	ds := byName[*simulator.Datastore]("Datastore")[0].Name
	fields := object.NewCustomFieldsManager(c)
	keys := map[string]int32{}

	var out []identity
	for _, id := range identitySpecs {
		spec := types.VirtualMachineConfigSpec{Name: id.Name, GuestId: id.GuestID, MemoryMB: id.MemoryMB, NumCPUs: id.CPUs,
			Annotation: id.Annotation, Files: &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[%s]", ds)}}
		if id.ManagedBy != nil {
			spec.ManagedBy = &types.ManagedByInfo{ExtensionKey: id.ManagedBy.ExtensionKey, Type: id.ManagedBy.Type}
		}
		task, err := folder.CreateVM(ctx, spec, pool, host)
		must(err)
		info, err := task.WaitForResult(ctx)
		must(err)
		ref := info.Result.(types.ManagedObjectReference)
		vm := simulator.Map.Get(ref).(*simulator.VirtualMachine)
		obj := object.NewVirtualMachine(c, ref)
		vm.Config.GuestFullName = id.Configured
		if id.Product != nil {
			vm.Config.VAppConfig = &types.VmConfigInfo{Product: []types.VAppProductInfo{vAppProduct(id.Product)}}
			product := vAppProduct(id.Product)
			vm.Summary.Config.Product = &product
		}
		for name, value := range id.Attributes {
			key, ok := keys[name]
			if !ok {
				def, err := fields.Add(ctx, name, "VirtualMachine", nil, nil)
				must(err)
				key, keys[name] = def.Key, def.Key
			}
			must(fields.Set(ctx, ref, key, value))
		}
		if id.PoweredOn {
			task, err = obj.PowerOn(ctx)
			wait(ctx, task, err)
		}
		if id.Template {
			must(obj.MarkAsTemplate(ctx))
		}
		vm.Guest.GuestId, vm.Guest.GuestFullName = id.GuestID, id.Reported
		if id.Reported == "" {
			vm.Guest.GuestId = ""
		}
		id.Moref = ref.Value
		if id.Attributes == nil {
			id.Attributes = map[string]string{}
		}
		out = append(out, id)
	}
	if manifestPath == "" {
		return
	}
	data, err := json.MarshalIndent(out, "", "  ")
	must(err)
	must(os.WriteFile(manifestPath+".identities.json", data, 0o644))
}
