package main

// The facts Forklift's VMware rules read (docs/domain.md#migration-blockers), set on some VMs after
// vary(): CPU hot-remove, extraConfig (disk.EnableUUID, numa.nodeAffinity, per-disk ctkEnabled),
// fault tolerance, a disk file attached to two VMs, a cluster VM-Host rule, guest filesystems
// mapped to their disks (one nearly full /boot), and DPM on the first cluster. The manifest reads
// them back (forkliftFacts) as the collector should normalise them.

import (
	"fmt"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

type guestFilesystem struct {
	Path      string `json:"path"`
	Capacity  int64  `json:"capacity"`
	FreeSpace int64  `json:"freeSpace"`
	DiskKey   *int32 `json:"diskKey"`
}

type forkliftDisk struct {
	Key int32  `json:"key"`
	Bus string `json:"bus"`
	CBT *bool  `json:"cbt"`
}

type forkliftVM struct {
	CPUHotRemove     bool              `json:"cpuHotRemove"`
	FaultTolerance   bool              `json:"faultTolerance"`
	DiskEnableUUID   bool              `json:"diskEnableUuid"`
	NumaNodeAffinity []string          `json:"numaNodeAffinity"`
	HostAffinity     bool              `json:"hostAffinity"`
	GuestFilesystems []guestFilesystem `json:"guestFilesystems"`
	Disks            []forkliftDisk    `json:"disks"`
}

func firstDisk(vm *simulator.VirtualMachine) *types.VirtualDisk {
	for _, d := range vm.Config.Hardware.Device {
		if disk, ok := d.(*types.VirtualDisk); ok {
			return disk
		}
	}
	return nil
}

func forklift() {
	vms := byName[*simulator.VirtualMachine]("VirtualMachine")
	for i, c := range byName[*simulator.ClusterComputeResource]("ClusterComputeResource") {
		config := c.ConfigurationEx.(*types.ClusterConfigInfoEx)
		config.DpmConfigInfo = &types.ClusterDpmConfigInfo{Enabled: types.NewBool(i == 0)}
		var pinned []types.ManagedObjectReference
		for j, vm := range vms {
			if j%6 == 3 && clusterOf(entity(vm.Runtime.Host).Entity().Parent) == c.Name {
				pinned = append(pinned, vm.Self)
			}
		}
		if len(pinned) > 0 {
			config.Group = append(config.Group,
				&types.ClusterVmGroup{ClusterGroupInfo: types.ClusterGroupInfo{Name: "licensed-vms"}, Vm: pinned},
				&types.ClusterHostGroup{ClusterGroupInfo: types.ClusterGroupInfo{Name: "licensed-hosts"}, Host: c.Host[:1]})
			config.Rule = append(config.Rule, &types.ClusterVmHostRuleInfo{
				ClusterRuleInfo: types.ClusterRuleInfo{Key: 1, Name: "licensing", Enabled: types.NewBool(true), Mandatory: types.NewBool(true)},
				VmGroupName:     "licensed-vms", AffineHostGroupName: "licensed-hosts"})
		}
	}
	for i, vm := range vms {
		option := func(key, value string) {
			vm.Config.ExtraConfig = append(vm.Config.ExtraConfig, &types.OptionValue{Key: key, Value: value})
		}
		switch i % 6 {
		case 0:
			vm.Config.CpuHotRemoveEnabled = types.NewBool(true)
			option("disk.EnableUUID", "TRUE")
			option("scsi0:0.ctkEnabled", "TRUE")
		case 1:
			vm.Summary.Config.FtInfo = &types.FaultToleranceConfigInfo{Role: 1, InstanceUuids: []string{vm.Config.InstanceUuid}, ConfigPaths: []string{vm.Config.Files.VmPathName}}
			option("numa.nodeAffinity", "0,1")
		case 2:
			// The first VM's system disk attached to this one too (a shared-disk cluster).
			if disk := firstDisk(vms[0]); disk != nil && i > 0 {
				shared := *disk
				shared.Key, shared.UnitNumber = 2100, types.NewInt32(9)
				if own := firstDisk(vm); own != nil {
					shared.ControllerKey = own.ControllerKey
				}
				vm.Config.Hardware.Device = append(vm.Config.Hardware.Device, &shared)
			}
		}
		gi := vm.Guest
		if len(gi.Disk) > 0 {
			if disk := firstDisk(vm); disk != nil && i%2 == 0 {
				gi.Disk[0].Mappings = []types.GuestInfoVirtualDiskMapping{{Key: disk.Key}}
			}
			if i%6 == 4 {
				gi.Disk = append(gi.Disk, types.GuestDiskInfo{DiskPath: "/boot", Capacity: 1 << 30, FreeSpace: 40 << 20, FilesystemType: "xfs"})
			}
		}
	}
}

// What the collector should read of the facts above (and of extraConfig vcsim sets itself).
func forkliftFacts(vm *simulator.VirtualMachine) forkliftVM {
	f := forkliftVM{
		CPUHotRemove:     vm.Config.CpuHotRemoveEnabled != nil && *vm.Config.CpuHotRemoveEnabled,
		FaultTolerance:   vm.Summary.Config.FtInfo != nil,
		NumaNodeAffinity: []string{},
		GuestFilesystems: []guestFilesystem{},
		Disks:            []forkliftDisk{},
	}
	ctk := map[string]bool{}
	for _, o := range vm.Config.ExtraConfig {
		opt := o.GetOptionValue()
		value := fmt.Sprint(opt.Value)
		switch {
		case opt.Key == "disk.EnableUUID":
			f.DiskEnableUUID = strings.EqualFold(value, "true")
		case opt.Key == "numa.nodeAffinity":
			f.NumaNodeAffinity = strings.Split(value, ",")
		case strings.HasSuffix(strings.ToLower(opt.Key), ".ctkenabled") && strings.EqualFold(value, "true"):
			ctk[strings.ToLower(strings.Split(opt.Key, ".")[0])] = true
		}
	}
	for _, c := range byName[*simulator.ClusterComputeResource]("ClusterComputeResource") {
		config := c.ConfigurationEx.(*types.ClusterConfigInfoEx)
		for _, g := range config.Group {
			if vg, ok := g.(*types.ClusterVmGroup); ok {
				for _, ref := range vg.Vm {
					f.HostAffinity = f.HostAffinity || ref == vm.Self
				}
			}
		}
	}
	buses := map[int32]struct {
		bus    string
		number int32
	}{}
	for _, d := range vm.Config.Hardware.Device {
		switch c := d.(type) {
		case *types.VirtualLsiLogicController, *types.ParaVirtualSCSIController, *types.VirtualBusLogicController, *types.VirtualLsiLogicSASController:
			sc := c.(types.BaseVirtualSCSIController).GetVirtualSCSIController()
			buses[sc.Key] = struct {
				bus    string
				number int32
			}{"scsi", sc.BusNumber}
		case *types.VirtualIDEController:
			buses[c.Key] = struct {
				bus    string
				number int32
			}{"ide", c.BusNumber}
		case *types.VirtualAHCIController:
			buses[c.Key] = struct {
				bus    string
				number int32
			}{"sata", c.BusNumber}
		}
	}
	for _, d := range vm.Config.Hardware.Device {
		if disk, ok := d.(*types.VirtualDisk); ok {
			out := forkliftDisk{Key: disk.Key}
			if b, ok := buses[disk.ControllerKey]; ok {
				out.Bus = b.bus
				if len(vm.Config.ExtraConfig) > 0 && disk.UnitNumber != nil {
					on := ctk[fmt.Sprintf("%s%d:%d", b.bus, b.number, *disk.UnitNumber)]
					out.CBT = &on
				}
			}
			f.Disks = append(f.Disks, out)
		}
	}
	for _, d := range vm.Guest.Disk {
		g := guestFilesystem{Path: d.DiskPath, Capacity: d.Capacity, FreeSpace: d.FreeSpace}
		if len(d.Mappings) > 0 {
			key := d.Mappings[0].Key
			g.DiskKey = &key
		}
		f.GuestFilesystems = append(f.GuestFilesystems, g)
	}
	return f
}
