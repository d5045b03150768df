package main

// This file draws the report's figures as inline SVG with
// gonum.org/v1/plot: axes, ticks, legends and histogram binning are a
// plotting library's job, and a well-kept one draws them better than a few
// hundred lines of our own would. Fonts are named, not embedded, so each
// figure stays a few kilobytes and the browser's own sans-serif draws it.

import (
	"bytes"
	"fmt"
	"image/color"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/world"
)

// palette is a colour-blind-safe set (Okabe–Ito).
var palette = []color.Color{
	color.RGBA{0, 114, 178, 255}, color.RGBA{230, 159, 0, 255}, color.RGBA{0, 158, 115, 255},
	color.RGBA{204, 121, 167, 255}, color.RGBA{86, 180, 233, 255}, color.RGBA{213, 94, 0, 255},
	color.RGBA{240, 228, 66, 255}, color.RGBA{0, 0, 0, 255},
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text, p.Y.Label.Text = x, y
	p.Add(plotter.NewGrid())
	return p
}

// legendItem is one entry of a figure's legend.
type legendItem struct {
	name   string
	thumbs []plot.Thumbnailer
}

// The size of a chart, in points.
const chartWidth, chartHeight = 440, 280

// chartSVG draws c as an SVG element.
func chartSVG(c world.Chart) (string, error) {
	p := newPlot(c.Title, c.XLabel, c.YLabel)
	var legend []legendItem
	values := &p.Y // the axis the data's values run along
	named := func(name string, thumbs ...plot.Thumbnailer) {
		if len(c.Series) > 1 {
			legend = append(legend, legendItem{name, thumbs})
		}
	}
	switch c.Kind {
	case world.Lines:
		if c.LogX {
			p.X.Scale = plot.LogScale{}
			p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		}
		for i, s := range c.Series {
			var xys plotter.XYs
			for j := range min(len(s.X), len(s.Y)) {
				if c.LogX && !(s.X[j] > 0) {
					continue // no place on a log axis
				}
				xys = append(xys, plotter.XY{X: s.X[j], Y: s.Y[j]})
			}
			if len(xys) == 0 {
				continue
			}
			l, pts, err := plotterLinePoints(xys)
			if err != nil {
				return "", err
			}
			l.Color, pts.Color = palette[i%len(palette)], palette[i%len(palette)]
			l.Width = vg.Points(1.5)
			thumbs := []plot.Thumbnailer{l}
			if len(xys) <= 40 {
				// A dense line (a distribution's steps) reads better
				// without a dot on every point.
				p.Add(pts)
				thumbs = append(thumbs, pts)
			}
			p.Add(l)
			named(s.Name, thumbs...)
		}
	case world.Histogram:
		for i, h := range histograms(c.Series) {
			if h == nil {
				continue
			}
			h.FillColor, h.LineStyle.Color = palette[i%len(palette)], color.White
			p.Add(h)
			named(c.Series[i].Name, h)
		}
	case world.Bars:
		// Long labels stand better on a vertical axis, one per row, than
		// side by side under bars, where they run into each other.
		horizontal := false
		for _, l := range c.Labels {
			horizontal = horizontal || len(l) > 12
		}
		labels := slices.Clone(c.Labels)
		extent := vg.Length(chartWidth - 90) // the data area across the bars, about
		if horizontal {
			// The first label on top.
			slices.Reverse(labels)
			extent = chartHeight - 90
			p.X.Label.Text, p.Y.Label.Text = c.YLabel, ""
			values = &p.X
		}
		ns := max(1, len(c.Series))
		w := min(vg.Points(40), extent/vg.Length(max(1, len(labels)))*0.8/vg.Length(ns))
		for i, s := range c.Series {
			ys := slices.Clone(s.Y)
			offset := float64(i) - float64(ns-1)/2
			if horizontal {
				slices.Reverse(ys)
				offset = -offset // the first series on top, as in the legend
			}
			b, err := plotter.NewBarChart(plotter.Values(ys), w)
			if err != nil {
				return "", err
			}
			b.Color, b.LineStyle.Color = palette[i%len(palette)], palette[i%len(palette)]
			b.Offset = w * vg.Length(offset)
			b.Horizontal = horizontal
			p.Add(b)
			named(s.Name, b)
		}
		if horizontal {
			p.NominalY(labels...)
		} else {
			p.NominalX(labels...)
		}
	default:
		return "", fmt.Errorf("chart %q: unknown kind %d", c.Title, c.Kind)
	}
	// Headroom, so that the highest point or bar does not meet the frame
	// (nor a negative one the axis).
	if span := values.Max - values.Min; span > 0 {
		values.Max += 0.06 * span
		if values.Min < 0 {
			values.Min -= 0.06 * span
		}
	}
	return renderSVG(p, legend, chartWidth, chartHeight)
}

func plotterLinePoints(xys plotter.XYs) (*plotter.Line, *plotter.Scatter, error) {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return nil, nil, err
	}
	s, err := plotter.NewScatter(xys)
	if err != nil {
		return nil, nil, err
	}
	s.GlyphStyle.Radius = vg.Points(2.5)
	s.GlyphStyle.Shape = draw.CircleGlyph{}
	return l, s, nil
}

// histograms bins each series' Y values, nil for a series without any.
// One series gets bins of its own; several share one set of bins over
// all their values, each bin split into a bar per series side by side, so
// that no series' bars hide another's.
func histograms(series []world.Series) []*plotter.Histogram {
	out := make([]*plotter.Histogram, len(series))
	var all []float64
	for _, s := range series {
		all = append(all, s.Y...)
	}
	if len(all) == 0 {
		return out
	}
	if len(series) == 1 {
		h, err := plotter.NewHist(plotter.Values(all), bins(all))
		if err == nil {
			out[0] = h
		}
		return out
	}
	lo, hi := slices.Min(all), slices.Max(all)
	n := bins(all)
	if hi == lo {
		lo, hi = lo-0.5, hi+0.5
	}
	w := (hi - lo) / float64(n)
	sub := w / float64(len(series))
	for i, s := range series {
		if len(s.Y) == 0 {
			continue
		}
		h := &plotter.Histogram{Width: sub, LineStyle: plotter.DefaultLineStyle}
		for b := range n {
			from := lo + float64(b)*w + float64(i)*sub
			h.Bins = append(h.Bins, plotter.HistogramBin{Min: from, Max: from + sub})
		}
		for _, v := range s.Y {
			b := min(n-1, int((v-lo)/w))
			h.Bins[b].Weight++
		}
		out[i] = h
	}
	return out
}

// bins picks a histogram's bin count: one per distinct value when there
// are few, else ten.
func bins(ys []float64) int {
	d := slices.Compact(slices.Sorted(slices.Values(ys)))
	return max(1, min(10, len(d)))
}

// timelineSVG draws an excerpt of tr as a timeline, one row per node, a
// mark per event. A run of at most limit events is drawn whole; of a
// longer one, the excerpt is its story without the network's chatter and
// the kernel's notes (facts, faults, crashes, restarts: every event but
// messages sent, delivered, dropped, duplicated or held, and notes), the
// first limit of them. Marks are coloured by fact name and by kind for
// the rest, or by kind alone when that would take more colours than the
// palette has. It also says in words which events it drew.
func timelineSVG(title string, tr *model.Trace, limit int) (svg, what string, err error) {
	evs := tr.Events
	what = fmt.Sprintf("all %d events", len(evs))
	if len(evs) > limit {
		evs = slices.DeleteFunc(slices.Clone(evs), func(e model.Event) bool {
			switch e.Kind {
			case model.Send, model.Deliver, model.Drop, model.Dup, model.Hold, model.Note:
				return true
			}
			return false
		})
		what = fmt.Sprintf("of its %d events, the first %d that are neither network messages nor notes (facts, faults, crashes, restarts)", len(tr.Events), min(limit, len(evs)))
		evs = evs[:min(limit, len(evs))]
	}
	nodeOf := func(e model.Event) string {
		if e.Node == "" {
			return "(world)"
		}
		return e.Node
	}
	var nodes []string
	row := map[string]int{}
	for _, e := range evs {
		if _, ok := row[nodeOf(e)]; !ok {
			row[nodeOf(e)] = len(nodes)
			nodes = append(nodes, nodeOf(e))
		}
	}
	keyOf := func(e model.Event) string {
		if e.Kind == model.Fact {
			return e.Name
		}
		return string(e.Kind)
	}
	keys := map[string]bool{}
	for _, e := range evs {
		keys[keyOf(e)] = true
	}
	if len(keys) > len(palette) {
		keyOf = func(e model.Event) string { return string(e.Kind) }
	}
	var order []string
	index := map[string]int{}
	for _, e := range evs {
		if _, ok := index[keyOf(e)]; !ok {
			index[keyOf(e)] = len(order)
			order = append(order, keyOf(e))
		}
	}
	// Each colour sits at its own height within a node's row, so that
	// events of one instant (a fact recorded with another) do not hide
	// each other.
	byKey := map[string]plotter.XYs{}
	for _, e := range evs {
		k := keyOf(e)
		y := float64(row[nodeOf(e)])
		if len(order) > 1 {
			y += 0.4 * (0.5 - float64(index[k])/float64(len(order)-1)) // the legend's first on top
		}
		byKey[k] = append(byKey[k], plotter.XY{X: float64(e.At.Microseconds()) / 1000, Y: y})
	}
	p := newPlot(title, "virtual time (ms)", "")
	var legend []legendItem
	for i, k := range order {
		s, err := plotter.NewScatter(byKey[k])
		if err != nil {
			return "", "", err
		}
		s.GlyphStyle.Color = palette[i%len(palette)]
		s.GlyphStyle.Radius = vg.Points(3)
		s.GlyphStyle.Shape = draw.CircleGlyph{}
		p.Add(s)
		legend = append(legend, legendItem{k, []plot.Thumbnailer{s}})
	}
	p.NominalY(nodes...)
	p.Y.Min, p.Y.Max = -0.5, float64(len(nodes))-0.5 // every row whole, whatever its marks' heights
	svg, err = renderSVG(p, legend, 1040, vg.Length(90+28*len(nodes)))
	return svg, what, err
}

// renderSVG draws p with its legend and returns its <svg> element, without
// the XML prolog, so it can stand inline in HTML. gonum would draw the
// legend inside the data area, where it covers the points it names; here
// it stands in a column of its own right of the plot, or, when its names
// are too long for a column, in a band under the plot (as many columns as
// fit), which makes the figure that much taller. A margin on the right
// keeps the last tick label inside the frame.
func renderSVG(p *plot.Plot, items []legendItem, w, h vg.Length) (string, error) {
	const margin = vg.Length(18)
	sty := plot.NewLegend().TextStyle
	entry, rowHeight := vg.Length(0), vg.Length(0)
	for _, it := range items {
		r := sty.Rectangle(" " + it.name)
		entry = max(entry, r.Max.X)
		rowHeight = max(rowHeight, r.Max.Y)
	}
	// The browser's sans-serif runs wider than the metrics gonum measures
	// with, so columns leave room for that.
	entry = (entry+plot.NewLegend().ThumbnailWidth)*1.2 + margin
	const pad = vg.Length(3)
	cols, below := 1, false
	if len(items) > 0 && entry > w/3 {
		below = true
		cols = max(1, int((w-2*margin)/entry))
	}
	rows := (len(items) + cols - 1) / max(1, cols)
	band := vg.Length(0)
	if below {
		band = vg.Length(rows)*(rowHeight+pad) + margin
		h += band
	}
	c := vgsvg.New(vg.Points(float64(w)), vg.Points(float64(h)))
	dc := draw.New(c)
	legendAt := func(x, top vg.Length, its []legendItem) {
		l := plot.NewLegend()
		l.Top, l.Left, l.Padding = true, true, pad
		for _, it := range its {
			l.Add(it.name, it.thumbs...)
		}
		l.Draw(draw.Crop(dc, x, 0, 0, -top))
	}
	titleHeight := p.Title.TextStyle.Height(p.Title.Text) + p.Title.Padding
	switch {
	case len(items) == 0:
		p.Draw(draw.Crop(dc, 0, -margin, 0, 0))
	case below:
		p.Draw(draw.Crop(dc, 0, -margin, band, 0))
		for col := range cols {
			lo, hi := col*rows, min(len(items), (col+1)*rows)
			if lo < hi {
				legendAt(margin+vg.Length(col)*entry, h-band+margin/2, items[lo:hi])
			}
		}
	default:
		p.Draw(draw.Crop(dc, 0, -(entry + margin), 0, 0))
		legendAt(w-entry, titleHeight+margin, items)
	}
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return "", err
	}
	s := b.String()
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return s, nil
}
