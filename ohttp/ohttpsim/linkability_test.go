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
