package main

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/edgelab/edgelab/sim/world"
)

// The legend of a line chart stands beside the data, not over it: every
// legend label starts right of every point of every series line.
func TestLegendStandsBesideTheData(t *testing.T) {
	c := world.Chart{Title: "two lines", XLabel: "x", YLabel: "y", Kind: world.Lines, Series: []world.Series{
		{Name: "rising", X: []float64{0, 1, 2}, Y: []float64{0, 1, 2}},
		{Name: "falling", X: []float64{0, 1, 2}, Y: []float64{2, 1, 0}},
	}}
	svg, err := chartSVG(c)
	if err != nil {
		t.Fatal(err)
	}
	lines := regexp.MustCompile(`<path d="([^"]*)" style="[^"]*stroke-width:1.5`).FindAllStringSubmatch(svg, -1)
	// The series come first; the legend's thumbnails, drawn last, repeat
	// their style.
	if len(lines) < 2 {
		t.Fatalf("found %d series lines in the SVG, want at least 2", len(lines))
	}
	dataRight := 0.0
	for _, l := range lines[:2] {
		for _, xy := range regexp.MustCompile(`[ML]([0-9.]+),`).FindAllStringSubmatch(l[1], -1) {
			x, _ := strconv.ParseFloat(xy[1], 64)
			dataRight = max(dataRight, x)
		}
	}
	for _, name := range []string{"rising", "falling"} {
		m := regexp.MustCompile(`<text x="([0-9.]+)"[^>]*>` + name + `</text>`).FindStringSubmatch(svg)
		if m == nil {
			t.Fatalf("legend label %q not in the SVG", name)
		}
		x, _ := strconv.ParseFloat(m[1], 64)
		if x <= dataRight {
			t.Errorf("legend label %q starts at x=%.1f, inside the data, which reaches x=%.1f", name, x, dataRight)
		}
	}
}
