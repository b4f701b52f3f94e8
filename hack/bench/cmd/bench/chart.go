package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// The chart: one group of bars per scenario, one bar per tool (the median),
// a whisker from the minimum to the maximum, on a logarithmic time axis so
// a one-second rebuild and a two-minute cold build both show.

var toolColors = map[string]string{
	"gobuild":      "#2f6fdf",
	"gobuild-base": "#93b4ea",
	"dockerfile":   "#e08a2c",
	"ko":           "#3aa655",
	"go":           "#8c8c8c",
}

func renderChart(r *Results) string {
	var scen []scenarioInfo
	for _, s := range r.Scenarios {
		if s.Chart {
			scen = append(scen, s)
		}
	}
	const (
		left, right, top, bottom = 70.0, 20.0, 70.0, 70.0
		barW, barGap, groupGap   = 26.0, 4.0, 34.0
		plotH                    = 320.0
	)
	nt := float64(len(r.Tools))
	groupW := nt*barW + (nt-1)*barGap
	plotW := float64(len(scen))*groupW + float64(len(scen)+1)*groupGap
	width := left + plotW + right
	height := top + plotH + bottom

	// The axis: whole decades around the data.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, t := range r.Timings {
		if len(t.Samples) == 0 {
			continue
		}
		lo = math.Min(lo, t.Min)
		hi = math.Max(hi, t.Max)
	}
	if math.IsInf(lo, 0) {
		lo, hi = 1, 10
	}
	lo = niceFloor(math.Max(lo, 0.01))
	hi = niceCeil(hi)
	if hi <= lo {
		hi = lo * 10
	}
	y := func(v float64) float64 {
		v = math.Min(math.Max(v, lo), hi)
		return top + plotH - (math.Log10(v)-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo))*plotH
	}
	width = math.Max(width, 780)

	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="Helvetica, Arial, sans-serif" font-size="12">`+"\n", width, height, width, height)
	p(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	title := fmt.Sprintf("Build time of %s, median of %d run%s (whiskers: min–max)", r.Service.Path, r.Runs, plural(r.Runs))
	p(`<text x="%.0f" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(title))

	// Legend.
	lx := left
	for _, t := range r.Tools {
		label := r.toolLabel(t.ID)
		p(`<rect x="%.0f" y="36" width="12" height="12" fill="%s"/>`, lx, toolColors[t.ID])
		p(`<text x="%.0f" y="46">%s</text>`+"\n", lx+16, html.EscapeString(label))
		lx += 16 + 7.2*float64(len(label)) + 24
	}

	// Grid and axis labels: 1, 2, 5 per decade.
	for _, v := range ticks(lo, hi) {
		yy := y(v)
		stroke, dash := "#d0d0d0", ` stroke-dasharray="3,3"`
		if isPow10(v) {
			stroke, dash = "#a0a0a0", ""
		}
		p(`<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="%s"%s/>`+"\n", left, yy, left+plotW, yy, stroke, dash)
		p(`<text x="%.0f" y="%.1f" text-anchor="end" fill="#444">%s</text>`+"\n", left-6, yy+4, axisLabel(v))
	}
	p(`<text transform="translate(18 %.0f) rotate(-90)" text-anchor="middle" fill="#444">seconds (log scale)</text>`+"\n", top+plotH/2)
	p(`<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#333"/>`+"\n", left, top+plotH, left+plotW, top+plotH)

	// Bars.
	base := top + plotH
	for gi, s := range scen {
		gx := left + groupGap + float64(gi)*(groupW+groupGap)
		p(`<text x="%.1f" y="%.0f" text-anchor="middle">%s</text>`+"\n", gx+groupW/2, base+20, html.EscapeString(s.Short))
		for ti, t := range r.Tools {
			x := gx + float64(ti)*(barW+barGap)
			cx := x + barW/2
			tm, ok := r.get(t.ID, s.ID)
			if !ok || tm.NA != "" || len(tm.Samples) == 0 {
				text := "n/a"
				if !ok || tm.NA == "" {
					text = "–"
				}
				p(`<text x="%.1f" y="%.0f" text-anchor="middle" fill="#888" font-size="10">%s</text>`+"\n", cx, base-6, text)
				continue
			}
			yt := y(tm.Median)
			p(`<rect x="%.1f" y="%.1f" width="%.0f" height="%.1f" fill="%s"><title>%s, %s: median %s, min %s, max %s</title></rect>`+"\n",
				x, yt, barW, base-yt, toolColors[t.ID], html.EscapeString(r.toolLabel(t.ID)), html.EscapeString(s.Label),
				fmtSec(tm.Median), fmtSec(tm.Min), fmtSec(tm.Max))
			if tm.Max > tm.Min {
				y1, y2 := y(tm.Min), y(tm.Max)
				p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222"/>`, cx, y1, cx, y2)
				p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222"/>`, cx-5, y1, cx+5, y1)
				p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222"/>`+"\n", cx-5, y2, cx+5, y2)
			}
			ly := math.Min(yt, y(tm.Max)) - 4
			p(`<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10" fill="#222">%s</text>`+"\n", cx, ly, shortSec(tm.Median))
		}
	}
	for _, t := range r.Timings {
		if t.NA != "" {
			note := "n/a: ko and go build run on the host; they have no daemon to start fresh or cache to import."
			p(`<text x="%.0f" y="%.0f" fill="#666" font-size="11">%s</text>`+"\n", left, base+48, html.EscapeString(note))
			break
		}
	}
	p("</svg>\n")
	return b.String()
}

// steps are the 1-2-5 values of a decade.
var steps = []float64{1, 2, 5}

// ticks returns the 1-2-5 values from lo to hi.
func ticks(lo, hi float64) []float64 {
	var out []float64
	for d := math.Floor(math.Log10(lo)); d <= math.Ceil(math.Log10(hi)); d++ {
		for _, m := range steps {
			v := m * math.Pow(10, d)
			if v >= lo*0.999 && v <= hi*1.001 {
				out = append(out, v)
			}
		}
	}
	return out
}

// niceCeil returns the smallest 1-2-5 value at or above v.
func niceCeil(v float64) float64 {
	d := math.Floor(math.Log10(v))
	for _, m := range append(steps, 10) {
		if c := m * math.Pow(10, d); c >= v*0.999 {
			return c
		}
	}
	return 10 * math.Pow(10, d)
}

// niceFloor returns the largest 1-2-5 value at or below v.
func niceFloor(v float64) float64 {
	d := math.Floor(math.Log10(v))
	out := math.Pow(10, d)
	for _, m := range steps {
		if c := m * math.Pow(10, d); c <= v*1.001 {
			out = c
		}
	}
	return out
}

func isPow10(v float64) bool {
	l := math.Log10(v)
	return math.Abs(l-math.Round(l)) < 1e-9
}

func axisLabel(v float64) string {
	if v < 1 {
		return fmt.Sprintf("%g", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func shortSec(v float64) string {
	switch {
	case v < 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}
