package ohttpsim

import (
	"strings"
	"testing"
	"time"
)

// The adversary wins without mixing and loses ground as batches grow.
func TestLinkabilityFallsWithBatching(t *testing.T) {
	cc := DefaultCurve()
	cc.Batches = []int{1, 4, 16}
	cc.Delays = []time.Duration{0}
	cc.Seeds = []uint64{1}
	if testing.Short() {
		cc.Requests = 10
	}
	pts, err := Curve(cc)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + CurveCSV(pts))
	if pts[0].Advantage < 0.8 {
		t.Errorf("no batching: advantage %.3f, want near 1", pts[0].Advantage)
	}
	for i := 1; i < len(pts); i++ {
		if pts[i].Advantage >= pts[i-1].Advantage {
			t.Errorf("advantage did not fall from batch %d (%.3f) to %d (%.3f)", pts[i-1].Batch, pts[i-1].Advantage, pts[i].Batch, pts[i].Advantage)
		}
	}
	svg := CurveSVG(pts)
	if !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, "<polyline") {
		t.Fatal("bad svg")
	}
}

// TestCurveCarriesWorkloadAndSpread: each point says what workload it ran
// and how much its seeds disagree, and the plot draws the spread and the
// latency beside the advantage.
func TestCurveCarriesWorkloadAndSpread(t *testing.T) {
	cc := DefaultCurve()
	cc.Batches = []int{1, 8}
	cc.Delays = []time.Duration{0, 20 * time.Millisecond}
	cc.Seeds = []uint64{1, 2, 3}
	cc.Requests = 5
	pts, err := Curve(cc)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(CurveCSV(pts)), "\n")
	header := strings.Split(lines[0], ",")
	if header[0] != "clients" || header[1] != "requests" || header[2] != "seeds" || len(lines) != 1+len(pts) {
		t.Fatalf("CSV:\n%s", CurveCSV(pts))
	}
	for i, p := range pts {
		row := strings.Split(lines[i+1], ",")
		if len(row) != len(header) || row[0] != "10" || row[1] != "5" || row[2] != "3" {
			t.Fatalf("row %q", lines[i+1])
		}
		a, l := p.AdvantageSpread, p.LatencySpread
		const eps = 1e-9
		if p.Advantage < a.Min-eps || p.Advantage > a.Max+eps || msf(p.Latency) < l.Min-eps || msf(p.Latency) > l.Max+eps || a.SD < 0 {
			t.Errorf("point %+v: spread does not bracket the value", p)
		}
	}
	spread := false
	for _, p := range pts {
		spread = spread || p.AdvantageSpread.Max > p.AdvantageSpread.Min || p.LatencySpread.Max > p.LatencySpread.Min
	}
	if !spread {
		t.Error("three seeds never disagreed: the spread is not per seed")
	}
	svg := CurveSVG(pts)
	for _, want := range []string{`class="band"`, `class="errorbar"`, "mean request latency", "advantage of a timing adversary", "3 seeds per point"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if n := strings.Count(svg, "<polyline"); n != 2*len(cc.Delays) {
		t.Errorf("%d polylines, want one per delay per panel (%d)", n, 2*len(cc.Delays))
	}
}
