package ohttpsim

// This file draws the linkability curve as a hand-written SVG in two
// panels side by side, both against batch size (log scale), one series
// per random-delay setting: the adversary's advantage, and the latency
// the mixing costs. Each series is its pooled value over the seeds with
// a band from the lowest to the highest seed's value and error bars of
// one standard deviation, so a reader sees how much seeds disagree.

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// svgPanel is one plot of CurveSVG.
type svgPanel struct {
	title, ylabel string
	left, top     float64
	// value, spread: a point's plotted figure and its seed spread.
	value  func(CurvePoint) float64
	spread func(CurvePoint) Spread
	ymax   float64
}

const (
	svgPanelW, svgPanelH = 380.0, 300.0
	svgColumn            = 470.0 // panel to panel
)

// CurveSVG renders pts.
func CurveSVG(pts []CurvePoint) string {
	const w, h = 2*svgColumn + 140, 420.0
	maxBatch, maxLat := 1, 1.0
	series := map[time.Duration][]CurvePoint{}
	var delays []time.Duration
	for _, p := range pts {
		maxBatch = max(maxBatch, p.Batch)
		maxLat = math.Max(maxLat, math.Max(msf(p.Latency), p.LatencySpread.Max))
		if _, ok := series[p.Delay]; !ok {
			delays = append(delays, p.Delay)
		}
		series[p.Delay] = append(series[p.Delay], p)
	}
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	panels := []svgPanel{
		{title: "advantage of a timing adversary", ylabel: "advantage (accuracy - 1/clients)", left: 70, top: 60,
			value: func(p CurvePoint) float64 { return p.Advantage }, spread: func(p CurvePoint) Spread { return p.AdvantageSpread }, ymax: 1},
		{title: "cost: mean request latency", ylabel: "latency (ms)", left: 70 + svgColumn, top: 60,
			value: func(p CurvePoint) float64 { return msf(p.Latency) }, spread: func(p CurvePoint) Spread { return p.LatencySpread }, ymax: niceCeil(maxLat)},
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="white"/>`+"\n", w, h)
	workload := ""
	if len(pts) > 0 {
		workload = fmt.Sprintf(": %d clients x %d requests, %d seeds per point", pts[0].Clients, pts[0].Requests, pts[0].Seeds)
	}
	fmt.Fprintf(&b, `<text x="%g" y="22" font-size="15" text-anchor="middle">Timing adversary vs relay batching (OHTTP world%s)</text>`+"\n", w/2, workload)
	fmt.Fprintf(&b, `<text x="%g" y="40" fill="#555" text-anchor="middle">line: pooled over seeds; band: lowest to highest seed; bars: ±1 standard deviation</text>`+"\n", w/2)
	colors := []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"}
	for _, pn := range panels {
		pn.draw(&b, maxBatch, delays, series, colors)
	}
	for i, d := range delays {
		c := colors[i%len(colors)]
		lx, ly := 2*svgColumn+10, 60+20*float64(i+1)
		fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2"/><text x="%g" y="%g">delay ≤ %s</text>`+"\n",
			lx, ly, lx+20, ly, c, lx+25, ly+4, d)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func (pn svgPanel) draw(b *strings.Builder, maxBatch int, delays []time.Duration, series map[time.Duration][]CurvePoint, colors []string) {
	left, top, pw, ph := pn.left, pn.top, svgPanelW, svgPanelH
	lx := math.Log2(float64(maxBatch))
	if lx == 0 {
		lx = 1
	}
	x := func(batch int) float64 { return left + pw*math.Log2(float64(batch))/lx }
	y := func(v float64) float64 { return top + ph*(1-math.Max(0, math.Min(1, v/pn.ymax))) }
	fmt.Fprintf(b, `<text x="%g" y="%g" font-size="13" text-anchor="middle">%s</text>`+"\n", left+pw/2, top-6, pn.title)
	fmt.Fprintf(b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/>`+"\n", left, top+ph, left+pw, top+ph)
	fmt.Fprintf(b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/>`+"\n", left, top, left, top+ph)
	for k := 1; k <= maxBatch; k *= 2 {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="black"/><text x="%.1f" y="%g" text-anchor="middle">%d</text>`+"\n",
			x(k), top+ph, x(k), top+ph+5, x(k), top+ph+20, k)
	}
	for i := 0; i <= 5; i++ {
		v := pn.ymax * float64(i) / 5
		fmt.Fprintf(b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#ddd"/><text x="%g" y="%.1f" text-anchor="end">%s</text>`+"\n",
			left, y(v), left+pw, y(v), left-8, y(v)+4, axisLabel(v))
	}
	fmt.Fprintf(b, `<text x="%g" y="%g" text-anchor="middle">relay batch size k (log scale)</text>`+"\n", left+pw/2, top+ph+40)
	fmt.Fprintf(b, `<text x="%g" y="%g" text-anchor="middle" transform="rotate(-90 %g %g)">%s</text>`+"\n", left-48, top+ph/2, left-48, top+ph/2, pn.ylabel)
	for i, d := range delays {
		c := colors[i%len(colors)]
		ps := series[d]
		// The band: along the highest values, back along the lowest.
		var band []string
		for _, p := range ps {
			band = append(band, fmt.Sprintf("%.1f,%.1f", x(p.Batch), y(pn.spread(p).Max)))
		}
		for j := len(ps) - 1; j >= 0; j-- {
			band = append(band, fmt.Sprintf("%.1f,%.1f", x(ps[j].Batch), y(pn.spread(ps[j]).Min)))
		}
		fmt.Fprintf(b, `<polygon class="band" fill="%s" fill-opacity="0.15" stroke="none" points="%s"/>`+"\n", c, strings.Join(band, " "))
		var line []string
		for _, p := range ps {
			line = append(line, fmt.Sprintf("%.1f,%.1f", x(p.Batch), y(pn.value(p))))
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", c, strings.Join(line, " "))
		for _, p := range ps {
			v, sd := pn.value(p), pn.spread(p).SD
			fmt.Fprintf(b, `<line class="errorbar" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`+"\n", x(p.Batch), y(v-sd), x(p.Batch), y(v+sd), c)
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", x(p.Batch), y(v), c)
		}
	}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func axisLabel(v float64) string {
	if v == math.Trunc(v) && v >= 10 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
