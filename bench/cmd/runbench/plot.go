package main

import (
	"errors"
	"fmt"
	"image/color"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// plotPeers draws requests per second per server, one bar per connection
// count, as a PNG. A missing peer keeps its place on the axis with no bar
// and "(missing)" under its name.
func plotPeers(r *report, path string) error {
	measured := 0
	for _, pr := range r.peers {
		measured += len(pr.stats)
	}
	if measured == 0 {
		os.Remove(path) // no stale chart next to a new report
		return errors.New("no HTTP server was measured: no chart")
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("HTTP hello world on loopback: requests/s, median of %d interleaved rounds (wrk, %v per run; %s)", r.cfg.rounds, r.cfg.duration, pinSummary(r.cfg))
	p.Y.Label.Text = "requests/s"
	p.Y.Min = 0
	p.Y.Tick.Marker = plot.TickerFunc(func(min, max float64) []plot.Tick {
		var ticks []plot.Tick
		for _, t := range (plot.DefaultTicks{}).Ticks(min, max) {
			if t.Label != "" {
				t.Label = fmtRPS(t.Value)
			}
			ticks = append(ticks, t)
		}
		return ticks
	})
	var names []string
	for _, pr := range r.peers {
		n := pr.short
		if len(pr.stats) == 0 {
			n += "\n(missing)"
		}
		names = append(names, n)
	}
	grid := plotter.NewGrid() // first, so the bars are drawn over it
	grid.Vertical.Color = color.Transparent
	p.Add(grid)
	nc := len(r.cfg.conns)
	w := vg.Points(18)
	top := 0.0
	var labels plotter.XYLabels
	for i, conns := range r.cfg.conns {
		vals := make(plotter.Values, len(r.peers))
		for j, pr := range r.peers {
			if st, ok := pr.stat(conns); ok {
				vals[j] = st.Median.RPS
			}
		}
		for j, v := range vals {
			top = max(top, v)
			if v > 0 {
				// Bar j of this series is centred at j + offset (in points);
				// the label's x is in data units, so it is placed in the
				// middle of the group and nudged by XOffset below.
				labels.XYs = append(labels.XYs, plotter.XY{X: float64(j), Y: v})
				labels.Labels = append(labels.Labels, fmt.Sprintf("%.1fk", v/1000))
			}
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		bars.LineStyle.Width = vg.Length(0)
		bars.Color = plotutil.Color(i)
		bars.Offset = w * vg.Length(float64(i)-float64(nc-1)/2)
		p.Add(bars)
		p.Legend.Add(fmt.Sprintf("%d connections", conns), bars)
		if len(labels.XYs) > 0 {
			l, err := plotter.NewLabels(labels)
			if err != nil {
				return err
			}
			off := bars.Offset - vg.Points(9)
			for k := range l.TextStyle {
				l.TextStyle[k].Font.Size = vg.Points(7)
			}
			l.Offset = vg.Point{X: off, Y: vg.Points(2)}
			p.Add(l)
		}
		labels = plotter.XYLabels{}
	}
	p.Y.Max = top * 1.12
	p.Legend.Top = true
	p.Legend.Left = true
	p.NominalX(names...)
	p.X.Tick.Label.Font.Size = vg.Points(8)
	return p.Save(vg.Length(max(11, 1+0.9*float64(len(names))))*vg.Inch, 5.5*vg.Inch, path)
}

func pinSummary(c *config) string {
	if !c.pin.pinned() {
		return "not pinned"
	}
	return fmt.Sprintf("server on CPU %s, wrk on CPU %s", cpuList(c.pin.server), cpuList(c.pin.load))
}
