package ohttpsim

// This file draws the linkability curve as a hand-written SVG: advantage
// against batch size (log scale), one polyline per random-delay setting.

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// CurveSVG renders pts.
func CurveSVG(pts []CurvePoint) string {
	const (
		w, h                     = 640.0, 400.0
		left, right, top, bottom = 70.0, 160.0, 40.0, 60.0
	)
	pw, ph := w-left-right, h-top-bottom
	maxBatch := 1
	series := map[time.Duration][]CurvePoint{}
	var delays []time.Duration
	for _, p := range pts {
		maxBatch = max(maxBatch, p.Batch)
		if _, ok := series[p.Delay]; !ok {
			delays = append(delays, p.Delay)
		}
		series[p.Delay] = append(series[p.Delay], p)
	}
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	lx := math.Log2(float64(maxBatch))
	if lx == 0 {
		lx = 1
	}
	x := func(batch int) float64 { return left + pw*math.Log2(float64(batch))/lx }
	y := func(adv float64) float64 { return top + ph*(1-math.Max(0, math.Min(1, adv))) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%g" y="22" font-size="15" text-anchor="middle">Timing adversary vs relay batching (OHTTP world)</text>`+"\n", left+pw/2)
	// Axes.
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/>`+"\n", left, top+ph, left+pw, top+ph)
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/>`+"\n", left, top, left, top+ph)
	for k := 1; k <= maxBatch; k *= 2 {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="black"/><text x="%.1f" y="%g" text-anchor="middle">%d</text>`+"\n",
			x(k), top+ph, x(k), top+ph+5, x(k), top+ph+20, k)
	}
	for i := 0; i <= 5; i++ {
		v := float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#ddd"/><text x="%g" y="%.1f" text-anchor="end">%.1f</text>`+"\n",
			left, y(v), left+pw, y(v), left-8, y(v)+4, v)
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">relay batch size k (log scale)</text>`+"\n", left+pw/2, h-15)
	fmt.Fprintf(&b, `<text x="18" y="%g" text-anchor="middle" transform="rotate(-90 18 %g)">advantage (accuracy - 1/clients)</text>`+"\n", top+ph/2, top+ph/2)
	colors := []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"}
	for i, d := range delays {
		c := colors[i%len(colors)]
		var pts []string
		for _, p := range series[d] {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.Batch), y(p.Advantage)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", c, strings.Join(pts, " "))
		for _, p := range series[d] {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", x(p.Batch), y(p.Advantage), c)
		}
		ly := top + 20*float64(i+1)
		fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2"/><text x="%g" y="%g">delay ≤ %s</text>`+"\n",
			left+pw+15, ly, left+pw+35, ly, c, left+pw+40, ly+4, d)
	}
	b.WriteString("</svg>\n")
	return b.String()
}
