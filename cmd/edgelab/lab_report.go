package main

// This file writes the lab's report.html: one self-contained page (styles
// inline, figures inline SVG, no script, no fetch), a section per world
// that the job ran, so a world added to worlds.go gets its section with
// no change here.

import (
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/edgelab/edgelab/sim/replay"
)

type reportPage struct {
	Wall    string
	Worlds  []reportWorld
	Prove   labProof
	Summary []reportSummary
}

type reportSummary struct {
	Name, Seeds, Passed, Bugs string
	OK                        bool
}

type reportWorld struct {
	Name, Summary  string
	Seeds, Passed  int
	Props          []reportProp
	Failures       []reportFailure
	Checked        string
	DefaultSeed    uint64
	DefaultFigures string
	DefaultHash    string
	Bugs           []reportBug
	Figures        []reportFigure
	ChartErr       string
	Timeline       template.HTML
	TimelineOf     string
	TimelineWhat   string
	Files          []string
}

type reportFailure struct {
	Seed        uint64
	Why, Replay string
}

type reportProp struct {
	Name                 string
	Passed, Failed, Runs int
	Percent              float64
}

type reportBug struct {
	Name, Summary, Properties, Wall, Plans, Shrunk, Lemmas, Replay string
	Caught                                                         bool
}

type reportFigure struct {
	Title, Caption string
	SVG            template.HTML
}

func writeLabReport(w io.Writer, results []*labWorld, prove labProof, wall time.Duration) error {
	page := reportPage{Wall: wall.Round(100 * time.Millisecond).String(), Prove: prove}
	for _, lw := range results {
		rw := reportWorld{
			Name: lw.w.Name(), Summary: lw.w.Summary(), Seeds: lw.seeds, Passed: lw.passed,
			Checked: lw.checked, DefaultSeed: lw.w.DefaultSeed(), DefaultFigures: lw.defaultRun.Figures.String(),
			DefaultHash: lw.defaultRun.Trace.HashHex(), TimelineOf: lw.timelineOf, TimelineWhat: lw.timelineWhat, Timeline: template.HTML(lw.timeline),
		}
		for _, p := range lw.props {
			runs := p.passed + p.failed
			rp := reportProp{Name: p.name, Passed: p.passed, Failed: p.failed, Runs: runs}
			if runs > 0 {
				rp.Percent = 100 * float64(p.passed) / float64(runs)
			}
			rw.Props = append(rw.Props, rp)
		}
		for _, f := range lw.files {
			rw.Files = append(rw.Files, filepath.Base(f))
		}
		for _, f := range lw.failures {
			rw.Failures = append(rw.Failures, reportFailure{f.seed, f.why, replayLine(f.replay)})
		}
		caught := 0
		for _, b := range lw.bugs {
			rb := reportBug{Name: b.Name, Summary: b.Summary, Caught: b.caught, Wall: b.wall.Round(time.Millisecond).String(), Plans: plural(b.plans, "plan")}
			if b.caught {
				caught++
				rb.Properties = strings.Join(b.properties, ", ")
				rb.Shrunk = fmt.Sprintf("%s, %s operations, %d events (%d shrink runs)", plural(b.faults, "fault"), opsText(b.ops), b.shrunkEvents, b.shrinkRuns)
				rb.Lemmas = b.lemmas
				rb.Replay = replayLine(b.replay)
			}
			rw.Bugs = append(rw.Bugs, rb)
		}
		if lw.chartErr != nil {
			rw.ChartErr = lw.chartErr.Error()
		}
		for _, c := range lw.charts {
			svg, err := chartSVG(c)
			if err != nil {
				return err
			}
			rw.Figures = append(rw.Figures, reportFigure{c.Title, c.Caption, template.HTML(svg)})
		}
		bugs := "none seeded"
		if len(lw.bugs) > 0 {
			bugs = fmt.Sprintf("%d/%d caught", caught, len(lw.bugs))
		}
		page.Summary = append(page.Summary, reportSummary{rw.Name, fmt.Sprint(lw.seeds), fmt.Sprint(lw.passed), bugs,
			lw.passed == lw.seeds && caught == len(lw.bugs) && (lw.checked == "" || lw.checked == "holds")})
		page.Worlds = append(page.Worlds, rw)
	}
	return reportTemplate.Execute(w, page)
}

func replayLine(path string) string {
	if path == "" {
		return ""
	}
	return replay.Command(path)
}

var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgelab report</title>
<style>
:root { --ink: #1d2329; --muted: #5b6570; --line: #dde2e7; --ok: #18794e; --bad: #c4320a; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif; color: var(--ink); background: var(--bg); }
header { background: #0f2437; color: #fff; padding: 28px 40px 22px; }
header h1 { margin: 0 0 4px; font-size: 26px; letter-spacing: .02em; }
header p { margin: 0; color: #b9c7d4; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 40px 60px; }
nav { display: flex; gap: 14px; flex-wrap: wrap; margin: 0 0 22px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px; min-width: 200px; }
.card a { font-weight: 600; font-size: 17px; color: var(--ink); text-decoration: none; }
.card .n { color: var(--muted); font-size: 13px; }
.badge { display: inline-block; border-radius: 999px; padding: 1px 9px; font-size: 12px; font-weight: 600; color: #fff; background: var(--ok); vertical-align: 2px; margin-left: 6px; }
.badge.bad { background: var(--bad); }
section.world { background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 22px 28px; margin: 0 0 28px; }
section.world h2 { margin: 0; font-size: 22px; }
.summary { color: var(--muted); margin: 2px 0 14px; }
h3 { font-size: 15px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 22px 0 8px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
td.num { font-variant-numeric: tabular-nums; }
.yes { color: var(--ok); font-weight: 600; } .no { color: var(--bad); font-weight: 600; }
code, .mono { font: 12.5px/1.4 ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; }
.figs { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 18px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 10px; background: #fff; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
figure.wide { grid-column: 1 / -1; }
.bar { height: 8px; background: #e8ecef; border-radius: 4px; overflow: hidden; min-width: 90px; }
.bar > span { display: block; height: 100%; background: var(--ok); }
.bar.bad > span { background: var(--bad); }
footer { color: var(--muted); font-size: 13px; }
pre { overflow-x: auto; }
</style></head><body>
<header><h1>edgelab report</h1>
<p>Every world over seeds with drawn faults, every property, the trace checker against the theories, and each seeded bug hunted and shrunk. Made in {{.Wall}}.</p></header>
<main>
<nav>{{range .Summary}}<div class="card"><a href="#world-{{.Name}}">{{.Name}}</a>{{if .OK}}<span class="badge">all good</span>{{else}}<span class="badge bad">findings</span>{{end}}
<div class="n">{{.Passed}}/{{.Seeds}} seeds passed · bugs {{.Bugs}}</div></div>{{end}}</nav>
{{range .Worlds}}<section class="world" id="world-{{.Name}}">
<h2>{{.Name}}</h2><p class="summary">{{.Summary}}</p>
<h3>Properties over {{.Seeds}} seeds with drawn faults</h3>
<table><tr><th>property</th><th>passed</th><th style="width:40%"></th><th>failed</th></tr>
{{range .Props}}<tr><td>{{.Name}}</td><td class="num">{{.Passed}}/{{.Runs}}</td><td><div class="bar{{if .Failed}} bad{{end}}"><span style="width:{{.Percent}}%"></span></div></td><td class="num">{{.Failed}}</td></tr>
{{end}}</table>
{{if .Failures}}<h3>Failing seeds</h3><table><tr><th>seed</th><th>why</th><th>replay</th></tr>
{{range .Failures}}<tr><td class="num">{{.Seed}}</td><td>{{.Why}}</td><td><code>{{.Replay}}</code></td></tr>{{end}}</table>{{end}}
<h3>Default run</h3>
<p>Seed {{.DefaultSeed}}: <code>{{.DefaultFigures}}</code><br>
{{if .Checked}}Trace checker against the theory: <b class="{{if eq .Checked "holds"}}yes{{else}}no{{end}}">{{.Checked}}</b><br>{{end}}
Files: {{range .Files}}<code>traces/{{.}}</code> {{end}}</p>
{{if .Bugs}}<h3>Seeded bugs</h3>
<table><tr><th>bug</th><th>caught</th><th>by</th><th>time to detect</th><th>shrunk to</th><th>lemmas violated</th></tr>
{{range .Bugs}}<tr><td><b>{{.Name}}</b><br><span class="summary">{{.Summary}}</span></td>
<td>{{if .Caught}}<span class="yes">yes</span>{{else}}<span class="no">missed</span>{{end}}</td>
<td>{{.Properties}}</td><td class="num">{{.Wall}}<br><span class="summary">{{.Plans}}</span></td><td>{{.Shrunk}}{{if .Replay}}<br><code>{{.Replay}}</code>{{end}}</td><td>{{.Lemmas}}</td></tr>
{{end}}</table>{{end}}
{{if or .Figures .Timeline}}<h3>Figures</h3><div class="figs">
{{range .Figures}}<figure>{{.SVG}}<figcaption>{{.Caption}}</figcaption></figure>
{{end}}{{if .Timeline}}<figure class="wide">{{.Timeline}}<figcaption>Timeline of the shrunk failing run with seeded bug {{.TimelineOf}}, one row per node: {{.TimelineWhat}}. The whole run is in <code>traces/</code> as a Perfetto timeline.</figcaption></figure>{{end}}
</div>{{end}}
{{if .ChartErr}}<p class="no">figures could not be drawn: {{.ChartErr}}</p>{{end}}
</section>
{{end}}
<section class="world"><h3>Proofs</h3><p>{{.Prove.Line}}</p>{{if .Prove.Output}}<pre class="mono">{{.Prove.Output}}</pre>{{end}}</section>
<footer>Replay any failure with the command beside it; <code>edgelab help</code> lists the rest.</footer>
</main></body></html>
`))
