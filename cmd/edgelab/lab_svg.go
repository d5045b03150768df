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
	p.Legend.Top = true
	return p
}

// chartSVG draws c as an SVG element.
func chartSVG(c world.Chart) (string, error) {
	p := newPlot(c.Title, c.XLabel, c.YLabel)
	switch c.Kind {
	case world.Lines:
		for i, s := range c.Series {
			xys := make(plotter.XYs, min(len(s.X), len(s.Y)))
			for j := range xys {
				xys[j].X, xys[j].Y = s.X[j], s.Y[j]
			}
			l, pts, err := plotterLinePoints(xys)
			if err != nil {
				return "", err
			}
			l.Color, pts.Color = palette[i%len(palette)], palette[i%len(palette)]
			l.Width = vg.Points(1.5)
			p.Add(l, pts)
			if len(c.Series) > 1 {
				p.Legend.Add(s.Name, l, pts)
			}
		}
	case world.Histogram:
		for i, s := range c.Series {
			if len(s.Y) == 0 {
				continue
			}
			h, err := plotter.NewHist(plotter.Values(s.Y), bins(s.Y))
			if err != nil {
				return "", err
			}
			h.FillColor, h.LineStyle.Color = palette[i%len(palette)], color.White
			p.Add(h)
			if len(c.Series) > 1 {
				p.Legend.Add(s.Name, h)
			}
		}
	case world.Bars:
		w := vg.Points(min(40, 300/float64(max(1, len(c.Labels)*len(c.Series)))))
		for i, s := range c.Series {
			b, err := plotter.NewBarChart(plotter.Values(s.Y), w)
			if err != nil {
				return "", err
			}
			b.Color, b.LineStyle.Color = palette[i%len(palette)], palette[i%len(palette)]
			b.Offset = w * vg.Length(i-len(c.Series)/2)
			p.Add(b)
			if len(c.Series) > 1 {
				p.Legend.Add(s.Name, b)
			}
		}
		p.NominalX(c.Labels...)
	default:
		return "", fmt.Errorf("chart %q: unknown kind %d", c.Title, c.Kind)
	}
	if c.Kind != world.Lines && p.Y.Max > 0 {
		// Headroom, so the tallest bar does not meet the frame.
		p.Y.Max *= 1.08
	}
	return renderSVG(p, 440, 280)
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

// bins picks a histogram's bin count: one per distinct value when there
// are few, else ten.
func bins(ys []float64) int {
	d := slices.Compact(slices.Sorted(slices.Values(ys)))
	return max(1, min(10, len(d)))
}

// timelineSVG draws the first limit events of tr as a timeline, one row
// per node, a mark per event, coloured by kind.
func timelineSVG(title string, tr *model.Trace, limit int) (string, error) {
	evs := tr.Events[:min(limit, len(tr.Events))]
	var nodes []string
	row := map[string]int{}
	for _, e := range evs {
		if _, ok := row[e.Node]; !ok {
			row[e.Node] = len(nodes)
			nodes = append(nodes, e.Node)
		}
	}
	byKind := map[model.EventKind]plotter.XYs{}
	var kinds []model.EventKind
	for _, e := range evs {
		if _, ok := byKind[e.Kind]; !ok {
			kinds = append(kinds, e.Kind)
		}
		byKind[e.Kind] = append(byKind[e.Kind], plotter.XY{X: float64(e.At.Microseconds()) / 1000, Y: float64(row[e.Node])})
	}
	p := newPlot(title, "virtual time (ms)", "")
	for i, k := range kinds {
		s, err := plotter.NewScatter(byKind[k])
		if err != nil {
			return "", err
		}
		s.GlyphStyle.Color = palette[i%len(palette)]
		s.GlyphStyle.Radius = vg.Points(3)
		s.GlyphStyle.Shape = draw.CircleGlyph{}
		p.Add(s)
		p.Legend.Add(string(k), s)
	}
	p.NominalY(nodes...)
	return renderSVG(p, 1040, vg.Length(90+28*len(nodes)))
}

// renderSVG draws p and returns its <svg> element, without the XML
// prolog, so it can stand inline in HTML. The legend stands in a column
// of its own right of the plot: gonum draws it inside the data area, where
// it covers the points it names. A margin on the right keeps the last
// tick label inside the frame.
func renderSVG(p *plot.Plot, w, h vg.Length) (string, error) {
	c := vgsvg.New(vg.Points(float64(w)), vg.Points(float64(h)))
	dc := draw.New(c)
	legend := p.Legend
	p.Legend = plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.Padding = vg.Points(3)
	r := legend.Rectangle(dc)
	// The browser's sans-serif runs wider than the metrics gonum measures
	// with, so the legend's column and the margin leave room for that.
	legendWidth := (r.Max.X - r.Min.X) * 1.2
	const margin = vg.Length(18)
	if legendWidth > 0 {
		legendWidth += margin
	}
	p.Draw(draw.Crop(dc, 0, -(legendWidth + margin), 0, 0))
	if legendWidth > 0 {
		titleHeight := p.Title.TextStyle.Height(p.Title.Text) + p.Title.Padding
		legend.Draw(draw.Crop(dc, w-legendWidth, 0, 0, -titleHeight-margin))
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
