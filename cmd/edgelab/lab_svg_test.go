package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
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

// A legend whose names are too long for a column beside the plot stands
// under it: every label lies below every bar (the SVG's y runs up; a
// text's y is flipped by its transform).
func TestLongLegendStandsUnderTheData(t *testing.T) {
	c := world.Chart{Title: "long names", XLabel: "path", YLabel: "share", Kind: world.Bars, Labels: []string{"a", "b"},
		Series: []world.Series{{Name: "a rather long series name", Y: []float64{1, 2}}, {Name: "another long series name", Y: []float64{2, 1}}}}
	svg, err := chartSVG(c)
	if err != nil {
		t.Fatal(err)
	}
	dataBottom := 1e9
	for _, m := range regexp.MustCompile(`<path d="M[0-9.]+,([0-9.]+)L[0-9.]+,([0-9.]+)L[^"]*Z" style="fill:#`).FindAllStringSubmatch(svg, -1) {
		y0, _ := strconv.ParseFloat(m[1], 64)
		y1, _ := strconv.ParseFloat(m[2], 64)
		if y1-y0 > 15 { // a bar, not a legend's thumbnail
			dataBottom = min(dataBottom, y0)
		}
	}
	if dataBottom == 1e9 {
		t.Fatal("no bars found")
	}
	for _, name := range []string{c.Series[0].Name, c.Series[1].Name} {
		m := regexp.MustCompile(`<text x="[0-9.]+" y="(-?[0-9.]+)"[^>]*>` + name + `</text>`).FindStringSubmatch(svg)
		if m == nil {
			t.Fatalf("legend label %q not in the SVG", name)
		}
		y, _ := strconv.ParseFloat(m[1], 64)
		if -y >= dataBottom {
			t.Errorf("legend label %q at y=%.1f, not under the bars, which start at y=%.1f", name, -y, dataBottom)
		}
	}
}

// Several series of a histogram share bins and stand side by side: no
// bar overlaps another, and every value is counted once.
func TestHistogramSeriesDoNotHideEachOther(t *testing.T) {
	series := []world.Series{{Name: "a", Y: []float64{0, 0.1, 0.1, 0.5}}, {Name: "b", Y: []float64{0.1, 0.9, 1}}, {Name: "empty"}}
	hs := histograms(series)
	if hs[2] != nil {
		t.Error("a bar for a series without values")
	}
	type span struct{ lo, hi float64 }
	var spans []span
	for i, h := range hs[:2] {
		n := 0.0
		for _, b := range h.Bins {
			n += b.Weight
			spans = append(spans, span{b.Min, b.Max})
		}
		if int(n) != len(series[i].Y) {
			t.Errorf("series %s: %v values counted, want %d", series[i].Name, n, len(series[i].Y))
		}
	}
	for i, a := range spans {
		for _, b := range spans[i+1:] {
			if a.lo < b.hi-1e-12 && b.lo < a.hi-1e-12 {
				t.Fatalf("bars [%v,%v] and [%v,%v] overlap", a.lo, a.hi, b.lo, b.hi)
			}
		}
	}
}

// A log axis leaves out what it cannot place instead of failing the
// figure; long bar labels stand one per row.
func TestLogAxisAndLongBarLabels(t *testing.T) {
	if _, err := chartSVG(world.Chart{Title: "log", XLabel: "ms", YLabel: "share", Kind: world.Lines, LogX: true,
		Series: []world.Series{{Name: "a", X: []float64{-1, 0, 1, 10, 100}, Y: []float64{0, 0.1, 0.2, 0.5, 1}}}}); err != nil {
		t.Fatal(err)
	}
	labels := []string{"double miss, new upper", "double miss, old upper"}
	svg, err := chartSVG(world.Chart{Title: "bars", XLabel: "path", YLabel: "%", Kind: world.Bars, Labels: labels,
		Series: []world.Series{{Name: "x", Y: []float64{1, 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	var ys []string
	for _, l := range labels {
		m := regexp.MustCompile(`<text x="[0-9.]+" y="(-?[0-9.]+)"[^>]*>` + l + `</text>`).FindStringSubmatch(svg)
		if m == nil {
			t.Fatalf("label %q not drawn", l)
		}
		ys = append(ys, m[1])
	}
	if ys[0] == ys[1] {
		t.Errorf("the long labels share a row at y=%s", ys[0])
	}
}

// A long run's timeline is its story: facts, faults and crashes, not the
// network's messages, with facts named in the legend.
func TestTimelineOfALongRunLeavesOutMessages(t *testing.T) {
	tr := &model.Trace{}
	for i := range 300 {
		tr.Events = append(tr.Events, model.Event{Seq: uint64(i), At: time.Duration(i) * time.Millisecond, Node: "a", Kind: model.Send, Name: "tcp/ACK"})
	}
	tr.Events = append(tr.Events, model.Event{At: 301 * time.Millisecond, Node: "b", Kind: model.Fact, Name: "MailSpooled"},
		model.Event{At: 302 * time.Millisecond, Node: "b", Kind: model.Crash, Name: "crash"})
	svg, what, err := timelineSVG("t", tr, 160)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(svg, ">MailSpooled</text>") || !strings.Contains(svg, ">crash</text>") || strings.Contains(svg, ">send</text>") {
		t.Errorf("the legend does not name the story's events only")
	}
	if !strings.Contains(what, "of its 302 events, the first 2") {
		t.Errorf("it says it drew %q", what)
	}
}
