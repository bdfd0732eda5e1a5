package main

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// The manifest: what the launcher created, read from the simulator's objects (not through SOAP),
// so the integration tests can compare the collector's snapshot with it object by object.
type manifest struct {
	URL         string       `json:"url"`
	Username    string       `json:"username"`
	Fingerprint string       `json:"fingerprint"`
	APIType     string       `json:"apiType"`
	Datacenters []named      `json:"datacenters"`
	Clusters    []cluster    `json:"clusters"`
	Hosts       []host       `json:"hosts"`
	Datastores  []datastore  `json:"datastores"`
	Pools       []named      `json:"resourcePools"`
	VMs         []vmManifest `json:"virtualMachines"`
	Perf        perfManifest `json:"perf"`
}

type named struct {
	Moref string `json:"moref"`
	Name  string `json:"name"`
	Path  string `json:"path"`
}

type cluster struct {
	named
	Datacenter string `json:"datacenter"`
	Drs        bool   `json:"drsEnabled"`
	Ha         bool   `json:"haEnabled"`
}

type host struct {
	named
	Datacenter      string `json:"datacenter"`
	Cluster         string `json:"cluster"`
	Vendor          string `json:"vendor"`
	Model           string `json:"model"`
	CPUModel        string `json:"cpuModel"`
	Version         string `json:"version"`
	Build           string `json:"build"`
	ConnectionState string `json:"connectionState"`
	PowerState      string `json:"powerState"`
	UUID            string `json:"uuid"`
	CPUMhz          int    `json:"cpuMhz"`
	Sockets         int    `json:"sockets"`
	Cores           int    `json:"cores"`
	Threads         int    `json:"threads"`
	MemoryBytes     int64  `json:"memoryBytes"`
	// summary.quickStats and runtime.bootTime
	OverallCPUUsage    int        `json:"overallCpuUsage"`
	OverallMemoryUsage int        `json:"overallMemoryUsage"`
	BootTime           *time.Time `json:"bootTime"`
}

type datastore struct {
	named
	Type          string `json:"type"`
	CapacityBytes int64  `json:"capacityBytes"`
	FreeBytes     int64  `json:"freeBytes"`
}

type disk struct {
	Key           int32  `json:"key"`
	Label         string `json:"label"`
	CapacityKB    int64  `json:"capacityKB"`
	Thin          *bool  `json:"thin"`
	Mode          string `json:"mode"`
	Compatibility string `json:"compatibility"`
	Sharing       string `json:"sharing"`
	FileName      string `json:"fileName"`
}

type vmManifest struct {
	named
	Host                  string     `json:"host"`
	Datacenter            string     `json:"datacenter"`
	Cluster               string     `json:"cluster"`
	Folder                string     `json:"folder"`
	ResourcePool          string     `json:"resourcePool"`
	UUID                  string     `json:"uuid"`
	InstanceUUID          string     `json:"instanceUuid"`
	PowerState            string     `json:"powerState"`
	GuestID               string     `json:"guestId"`
	GuestFullName         string     `json:"guestFullName"`
	ReportedGuestFullName string     `json:"reportedGuestFullName"`
	Family                string     `json:"family"`
	Hostname              string     `json:"hostname"`
	IP                    string     `json:"ip"`
	Annotation            string     `json:"annotation"`
	ToolsStatus           string     `json:"toolsStatus"`
	ToolsVersion          string     `json:"toolsVersion"`
	HardwareVersion       string     `json:"hardwareVersion"`
	Template              bool       `json:"template"`
	CBT                   bool       `json:"cbt"`
	CPUHotAdd             bool       `json:"cpuHotAdd"`
	MemoryHotAdd          bool       `json:"memoryHotAdd"`
	CPUAffinity           bool       `json:"cpuAffinity"`
	ConsolidationNeeded   bool       `json:"consolidationNeeded"`
	Passthrough           bool       `json:"passthrough"`
	Sriov                 bool       `json:"sriov"`
	USB                   bool       `json:"usb"`
	TPM                   bool       `json:"tpm"`
	CPUs                  int        `json:"cpus"`
	CoresPerSocket        int        `json:"coresPerSocket"`
	MemoryMB              int        `json:"memoryMB"`
	SnapshotCount         int        `json:"snapshotCount"`
	GuestMemoryUsageMB    int        `json:"guestMemoryUsageMB"`
	BalloonedMB           int        `json:"balloonedMB"`
	Committed             int64      `json:"committed"`
	Uncommitted           int64      `json:"uncommitted"`
	GuestDiskCapacity     int64      `json:"guestDiskCapacity"`
	GuestDiskFree         int64      `json:"guestDiskFree"`
	SnapshotOldest        *time.Time `json:"snapshotOldest"`
	OverallCPUUsage       int        `json:"overallCpuUsage"`
	HostMemoryUsageMB     int        `json:"hostMemoryUsageMB"`
	SwappedMB             int        `json:"swappedMB"`
	OverheadMB            int        `json:"overheadMB"`
	BootTime              *time.Time `json:"bootTime"`
	SnapshotBytes         int64      `json:"snapshotBytes"`
	IPs                   []string   `json:"ips"`
	MACs                  []string   `json:"macs"`
	Disks                 []disk     `json:"disks"`
	Forklift              forkliftVM `json:"forklift"`
}

func entity(ref *types.ManagedObjectReference) mo.Entity {
	if ref == nil {
		return nil
	}
	return simulator.Map.Get(*ref).(mo.Entity)
}

// The inventory path: "/DC0/vm/Linux" for a VM folder.
func path(e mo.Entity) string {
	var names []string
	for ; e != nil && e.Entity().Parent != nil; e = entity(e.Entity().Parent) {
		names = append([]string{e.Entity().Name}, names...)
	}
	return "/" + strings.Join(names, "/")
}

func ref(e mo.Entity) named { return named{e.Reference().Value, e.Entity().Name, path(e)} }

func nameOf(e mo.Entity) string {
	if e == nil {
		return ""
	}
	return e.Entity().Name
}

func clusterOf(ref *types.ManagedObjectReference) string {
	if c, ok := entity(ref).(*simulator.ClusterComputeResource); ok {
		return c.Name
	}
	return ""
}

func countSnapshots(tree []types.VirtualMachineSnapshotTree, oldest **time.Time) int {
	n := 0
	for i := range tree {
		if *oldest == nil || tree[i].CreateTime.Before(**oldest) {
			t := tree[i].CreateTime
			*oldest = &t
		}
		n += 1 + countSnapshots(tree[i].ChildSnapshotList, oldest)
	}
	return n
}

func describe(server *simulator.Server) manifest {
	u := *server.URL
	u.User = nil
	m := manifest{URL: u.String(), Username: server.URL.User.Username()}
	sum := sha256.Sum256(server.Certificate().Raw)
	m.Fingerprint = strings.ToUpper(strings.Join(strings.Split(fmt.Sprintf("% x", sum[:]), " "), ":"))
	m.APIType = map[bool]string{true: "VirtualCenter", false: "HostAgent"}[simulator.Map.IsVPX()]
	for _, dc := range byName[*simulator.Datacenter]("Datacenter") {
		m.Datacenters = append(m.Datacenters, ref(dc))
	}
	for _, c := range byName[*simulator.ClusterComputeResource]("ClusterComputeResource") {
		config := c.ConfigurationEx.(*types.ClusterConfigInfoEx)
		m.Clusters = append(m.Clusters, cluster{ref(c), nameOf(datacenterOf(c)), *config.DrsConfig.Enabled, config.DasConfig.Enabled != nil && *config.DasConfig.Enabled})
	}
	for _, h := range byName[*simulator.HostSystem]("HostSystem") {
		hw, product := h.Summary.Hardware, h.Summary.Config.Product
		m.Hosts = append(m.Hosts, host{ref(h), nameOf(datacenterOf(h)), clusterOf(h.Parent), hw.Vendor, hw.Model, hw.CpuModel,
			product.Version, product.Build, string(h.Runtime.ConnectionState), string(h.Runtime.PowerState), hw.Uuid,
			int(hw.CpuMhz), int(hw.NumCpuPkgs), int(hw.NumCpuCores), int(hw.NumCpuThreads), hw.MemorySize,
			int(h.Summary.QuickStats.OverallCpuUsage), int(h.Summary.QuickStats.OverallMemoryUsage), h.Runtime.BootTime})
	}
	for _, ds := range byName[*simulator.Datastore]("Datastore") {
		m.Datastores = append(m.Datastores, datastore{ref(ds), ds.Summary.Type, ds.Summary.Capacity, ds.Summary.FreeSpace})
	}
	for _, p := range byName[*simulator.ResourcePool]("ResourcePool") {
		m.Pools = append(m.Pools, ref(p))
	}
	for _, vm := range byName[*simulator.VirtualMachine]("VirtualMachine") {
		v := vmManifest{named: ref(vm), Host: vm.Runtime.Host.Value, Datacenter: nameOf(datacenterOf(vm)), Folder: path(entity(vm.Parent)),
			UUID: vm.Config.Uuid, InstanceUUID: vm.Config.InstanceUuid, PowerState: string(vm.Runtime.PowerState),
			GuestID: vm.Config.GuestId, GuestFullName: vm.Config.GuestFullName, ReportedGuestFullName: vm.Guest.GuestFullName,
			Family: strings.TrimSuffix(vm.Guest.GuestFamily, "Guest"), Hostname: vm.Guest.HostName, IP: vm.Guest.IpAddress,
			Annotation: vm.Config.Annotation, ToolsStatus: string(vm.Guest.ToolsStatus), ToolsVersion: vm.Guest.ToolsVersion,
			HardwareVersion: vm.Config.Version, Template: vm.Config.Template, CPUs: int(vm.Config.Hardware.NumCPU),
			CoresPerSocket: int(vm.Config.Hardware.NumCoresPerSocket), MemoryMB: int(vm.Config.Hardware.MemoryMB),
			GuestMemoryUsageMB: int(vm.Summary.QuickStats.GuestMemoryUsage), BalloonedMB: int(vm.Summary.QuickStats.BalloonedMemory),
			CBT:                 vm.Config.ChangeTrackingEnabled != nil && *vm.Config.ChangeTrackingEnabled,
			CPUHotAdd:           vm.Config.CpuHotAddEnabled != nil && *vm.Config.CpuHotAddEnabled,
			MemoryHotAdd:        vm.Config.MemoryHotAddEnabled != nil && *vm.Config.MemoryHotAddEnabled,
			CPUAffinity:         vm.Config.CpuAffinity != nil && len(vm.Config.CpuAffinity.AffinitySet) > 0,
			ConsolidationNeeded: vm.Runtime.ConsolidationNeeded != nil && *vm.Runtime.ConsolidationNeeded,
			IPs:                 []string{}, MACs: []string{}, Disks: []disk{}}
		if vm.ResourcePool != nil {
			v.ResourcePool = path(entity(vm.ResourcePool))
		}
		v.Cluster = clusterOf(entity(vm.Runtime.Host).Entity().Parent)
		if vm.Summary.Storage != nil {
			v.Committed, v.Uncommitted = vm.Summary.Storage.Committed, vm.Summary.Storage.Uncommitted
		}
		if vm.Snapshot != nil {
			v.SnapshotCount = countSnapshots(vm.Snapshot.RootSnapshotList, &v.SnapshotOldest)
		}
		for _, d := range vm.Guest.Disk {
			v.GuestDiskCapacity += d.Capacity
			v.GuestDiskFree += d.FreeSpace
		}
		for _, nic := range vm.Guest.Net {
			v.IPs = append(v.IPs, nic.IpAddress...)
		}
		for _, d := range vm.Config.Hardware.Device {
			switch x := d.(type) {
			case *types.VirtualDisk:
				out := disk{Key: x.Key, Label: x.DeviceInfo.GetDescription().Label, CapacityKB: x.CapacityInKB}
				switch b := x.Backing.(type) {
				case *types.VirtualDiskFlatVer2BackingInfo:
					out.Thin, out.Mode, out.Sharing, out.FileName = b.ThinProvisioned, b.DiskMode, b.Sharing, b.FileName
				case *types.VirtualDiskRawDiskMappingVer1BackingInfo:
					out.Mode, out.Compatibility, out.Sharing, out.FileName = b.DiskMode, b.CompatibilityMode, b.Sharing, b.FileName
				}
				v.Disks = append(v.Disks, out)
			case *types.VirtualPCIPassthrough:
				v.Passthrough = true
			case *types.VirtualSriovEthernetCard:
				v.Sriov = true
				v.MACs = append(v.MACs, x.MacAddress)
			case types.BaseVirtualEthernetCard:
				v.MACs = append(v.MACs, x.GetVirtualEthernetCard().MacAddress)
			case *types.VirtualUSBController: // USB 2 only, as Forklift's rule (xHCI is not listed)
				v.USB = true
			case *types.VirtualTPM:
				v.TPM = true
			}
		}
		v.Forklift = forkliftFacts(vm)
		qs := vm.Summary.QuickStats
		v.OverallCPUUsage, v.HostMemoryUsageMB, v.SwappedMB = int(qs.OverallCpuUsage), int(qs.HostMemoryUsage), int(qs.SwappedMemory)
		v.OverheadMB = int(qs.ConsumedOverheadMemory)
		v.BootTime, v.SnapshotBytes = vm.Runtime.BootTime, snapshotBytes(vm)
		m.VMs = append(m.VMs, v)
	}
	m.Perf = describePerf()
	return m
}
