package main

// Measured use: quick stats and boot times of the VMs and hosts, snapshot files with sizes, and
// what the PerformanceManager serves (vCenter's default historical intervals, a counter that is
// never set (-1), counters left out with -perf-without). Read back into the manifest from the
// simulator's own objects.

import (
	"fmt"
	pathpkg "path"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/esx"
	"github.com/vmware/govmomi/simulator/vpx"
	"github.com/vmware/govmomi/vim25/types"
)

// vCenter's default statistics intervals (vSphere "Statistics intervals": past day, week, month, year).
var defaultIntervals = []types.PerfInterval{
	{Key: 1, SamplingPeriod: 300, Name: "Past day", Length: 86400, Level: 1, Enabled: true},
	{Key: 2, SamplingPeriod: 1800, Name: "Past week", Length: 604800, Level: 1, Enabled: true},
	{Key: 3, SamplingPeriod: 7200, Name: "Past month", Length: 2592000, Level: 1, Enabled: true},
	{Key: 4, SamplingPeriod: 86400, Name: "Past year", Length: 31536000, Level: 1, Enabled: true},
}

func perfManager() *simulator.PerformanceManager {
	for _, value := range []string{"PerfMgr", "ha-perfmgr"} { // vpx and esx service content
		if o := simulator.Map.Get(types.ManagedObjectReference{Type: "PerformanceManager", Value: value}); o != nil {
			return o.(*simulator.PerformanceManager)
		}
	}
	panic("no PerformanceManager")
}

func counterName(c types.PerfCounterInfo) string {
	return fmt.Sprintf("%s.%s.%s", c.GroupInfo.GetElementDescription().Key, c.NameInfo.GetElementDescription().Key, c.RollupType)
}

// The counter key of group.name.rollup in the served list, or 0.
func counterKey(pm *simulator.PerformanceManager, name string) int32 {
	for _, c := range pm.PerfCounter {
		if counterName(c) == name {
			return c.Key
		}
	}
	return 0
}

// Before model.Create: the sample data is per entity type and shared by every model.
func measuredData(isESX bool) {
	data, counters := vpx.MetricData, vpx.PerfCounter
	if isESX {
		data, counters = esx.MetricData, esx.PerfCounter
	}
	key := func(name string) int32 {
		for _, c := range counters {
			if counterName(c) == name {
				return c.Key
			}
		}
		panic("vcsim serves no counter " + name)
	}
	// mem.swapped.average of VMs: -1 at every sample ("no value", as a real vCenter sends for a
	// counter it did not collect). vcsim adds noise only to values above 4, so -1 comes through.
	data["VirtualMachine"][key("mem.swapped.average")] = []int64{-1}
	// mem.vmmemctl.average of VMs: small values (below 5: served exactly, without vcsim's noise).
	// No 0: govmomi's XML encoder leaves zeros out of a PerfMetricIntSeries (omitempty on []int64),
	// so a series with a 0 has fewer values than samples (the collector drops it with a warning).
	data["VirtualMachine"][key("mem.vmmemctl.average")] = []int64{1, 2, 3, 4}
}

func measured(isVPX bool, without string) {
	now := time.Now().UTC().Truncate(time.Second)
	pm := perfManager()
	if isVPX {
		pm.HistoricalInterval = defaultIntervals
	}
	if without != "" {
		drop := map[string]bool{}
		for _, n := range strings.Split(without, ",") {
			drop[n] = true
		}
		var kept []types.PerfCounterInfo
		for _, c := range pm.PerfCounter {
			if !drop[counterName(c)] {
				kept = append(kept, c)
			}
		}
		pm.PerfCounter = kept
	}
	for i, host := range byName[*simulator.HostSystem]("HostSystem") {
		hw := host.Summary.Hardware
		host.Summary.QuickStats.OverallCpuUsage = int32(int(hw.CpuMhz) * int(hw.NumCpuCores) * (5 + 11*i%60) / 100)
		host.Summary.QuickStats.OverallMemoryUsage = int32(hw.MemorySize>>20) * int32(20+7*i%70) / 100
		boot := now.Add(-time.Duration(3+i*5) * 24 * time.Hour)
		host.Runtime.BootTime = &boot
	}
	for i, vm := range byName[*simulator.VirtualMachine]("VirtualMachine") {
		qs := &vm.Summary.QuickStats
		if vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
			host := simulator.Map.Get(*vm.Runtime.Host).(*simulator.HostSystem)
			capacity := int(vm.Config.Hardware.NumCPU) * int(host.Summary.Hardware.CpuMhz)
			qs.OverallCpuUsage = int32(capacity * (3 + 13*i%90) / 100)
			qs.HostMemoryUsage = int32(vm.Config.Hardware.MemoryMB) * int32(30+9*i%65) / 100
			qs.SwappedMemory = int32(16 * (i % 3))
			qs.ConsumedOverheadMemory = int32(20 + 3*i%40)
			boot := now.Add(-time.Duration(2+i*7) * time.Hour)
			vm.Runtime.BootTime = &boot
		} else {
			qs.OverallCpuUsage, qs.HostMemoryUsage, qs.SwappedMemory, qs.ConsumedOverheadMemory = 0, 0, 0, 0
			vm.Runtime.BootTime = nil
		}
		if vm.Snapshot == nil || vm.LayoutEx == nil {
			continue
		}
		// vcsim writes each snapshot's .vmsn with size 0 and no delta disks: give the .vmsn files a
		// size, a memory file to one snapshot, and a delta disk (descriptor and extent) per snapshot,
		// named as ESXi names them.
		key := int32(0)
		for _, f := range vm.LayoutEx.File {
			if f.Key >= key {
				key = f.Key + 1
			}
		}
		var deltas []types.VirtualMachineFileLayoutExFileInfo
		n := 0
		for j := range vm.LayoutEx.File {
			f := &vm.LayoutEx.File[j]
			if f.Type != string(types.VirtualMachineFileLayoutExFileTypeSnapshotData) {
				continue
			}
			n++
			f.Size = int64(1+i%4)<<20 + int64(4096*n)
			f.UniqueSize = f.Size
			dir := pathpkg.Dir(f.Name)
			base := fmt.Sprintf("%s/%s-%06d", dir, vm.Name, n)
			deltas = append(deltas,
				types.VirtualMachineFileLayoutExFileInfo{Key: key, Name: base + ".vmdk", Type: string(types.VirtualMachineFileLayoutExFileTypeDiskDescriptor), Size: 512, UniqueSize: 512, Accessible: types.NewBool(true)},
				types.VirtualMachineFileLayoutExFileInfo{Key: key + 1, Name: base + "-delta.vmdk", Type: string(types.VirtualMachineFileLayoutExFileTypeDiskExtent), Size: int64(50*(i+1)) << 20, UniqueSize: int64(50*(i+1)) << 20, Accessible: types.NewBool(true)})
			key += 2
			if i%4 == 1 && n == 1 { // a snapshot of the running VM with its memory
				deltas = append(deltas, types.VirtualMachineFileLayoutExFileInfo{Key: key, Name: strings.TrimSuffix(f.Name, ".vmsn") + ".vmem", Type: string(types.VirtualMachineFileLayoutExFileTypeSnapshotMemory), Size: int64(vm.Config.Hardware.MemoryMB) << 20, UniqueSize: int64(vm.Config.Hardware.MemoryMB) << 20, Accessible: types.NewBool(true)})
				key++
			}
		}
		vm.LayoutEx.File = append(vm.LayoutEx.File, deltas...)
	}
}

// What the manifest says about measured use, read from the simulator's objects.
type perfManifest struct {
	Intervals []types.PerfInterval `json:"intervals"`
	Counters  map[string]int32     `json:"counters"`
}

var readCounters = []string{
	"cpu.usage.average", "cpu.usagemhz.average", "cpu.ready.summation", "mem.active.average", "mem.consumed.average",
	"mem.vmmemctl.average", "mem.swapped.average", "disk.read.average", "disk.write.average",
	"net.received.average", "net.transmitted.average",
}

func describePerf() perfManifest {
	pm := perfManager()
	out := perfManifest{Intervals: pm.HistoricalInterval, Counters: map[string]int32{}}
	if out.Intervals == nil {
		out.Intervals = []types.PerfInterval{}
	}
	for _, n := range readCounters {
		if k := counterKey(pm, n); k != 0 {
			out.Counters[n] = k
		}
	}
	return out
}

// The bytes of a VM's snapshot files: .vmsn, snapshot memory, and delta disks (ESXi's -00000N names).
func snapshotBytes(vm *simulator.VirtualMachine) int64 {
	var total int64
	if vm.LayoutEx == nil {
		return 0
	}
	for _, f := range vm.LayoutEx.File {
		switch {
		case f.Type == "snapshotData", f.Type == "snapshotMemory":
			total += f.Size
		case (f.Type == "diskDescriptor" || f.Type == "diskExtent") && isDelta(f.Name):
			total += f.Size
		}
	}
	return total
}

func isDelta(name string) bool {
	base := strings.TrimSuffix(pathpkg.Base(name), ".vmdk")
	base = strings.TrimSuffix(strings.TrimSuffix(base, "-delta"), "-sesparse")
	cut := strings.LastIndex(base, "-")
	if cut < 0 || len(base)-cut-1 != 6 {
		return false
	}
	for _, c := range base[cut+1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
