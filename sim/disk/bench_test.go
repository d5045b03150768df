package disk

import (
	"os"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// BenchmarkDiskAppendSync measures appending a 4 KiB record and syncing it
// on a MemDisk, against the same appends to a plain map[string][]byte, in
// one run so the ratio is not skewed by machine load. The durability
// bookkeeping should cost a small constant factor, not grow with the file.
func BenchmarkDiskAppendSync(b *testing.B) {
	record := make([]byte, 4096)
	for i := range record {
		record[i] = byte(i)
	}
	// Records go to 4 MiB segments, so the figures measure per-record
	// cost rather than the allocator growing one huge slice.
	const name, segment = "wal/log", 1024

	d := mustDisk(b, Config{})
	d.MkdirAll("wal")
	var f env.File
	var err error
	plain := map[string][]byte{}

	// Two loops of b.N each, timed separately: timing every iteration
	// would add clock reads comparable to the map append itself.
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if i%segment == 0 { // start the next segment, as a log would
			if f, err = d.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := f.Write(record); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	diskTime := time.Since(start)
	start = time.Now()
	for i := range b.N {
		if i%segment == 0 {
			plain[name] = plain[name][:0]
		}
		plain[name] = append(plain[name], record...)
	}
	mapTime := time.Since(start)

	n := float64(b.N)
	b.ReportMetric(float64(diskTime.Nanoseconds())/n, "disk-ns/record")
	b.ReportMetric(float64(mapTime.Nanoseconds())/n, "map-ns/record")
	b.ReportMetric(float64(diskTime)/float64(mapTime), "disk/map")
}
