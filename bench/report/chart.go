package main

import (
	"errors"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart size: 800×450 pixels at 96 dpi.
const (
	chartDPI    = 96
	chartWidth  = 800 * vg.Inch / chartDPI
	chartHeight = 450 * vg.Inch / chartDPI
)

// implColors gives each implementation its bar colour; generated stands out.
var implColors = map[string]color.Color{
	"generated": color.RGBA{0x25, 0x63, 0xeb, 0xff}, // blue
	"generic":   color.RGBA{0x9c, 0xa3, 0xaf, 0xff}, // grey
	"gorgonia":  color.RGBA{0xf5, 0x9e, 0x0b, 0xff}, // amber
}

// writeChart draws the median f32 time per training step of each network as
// a grouped bar chart on a log scale, one colour per implementation, and
// writes it to w as an 800×450 PNG.
func (res *results) writeChart(w io.Writer) error {
	times := map[key]float64{}
	shownNet, shownImpl := map[string]bool{}, map[string]bool{}
	lo, hi := math.Inf(1), 0.0
	for k := range res.samples {
		s, n := res.summary(k, unitTime)
		if k.kind != "step" || k.dtype != "f32" || n == 0 || s.Center <= 0 {
			continue
		}
		times[k] = s.Center
		shownNet[k.net], shownImpl[k.impl] = true, true
		lo, hi = min(lo, s.Center), max(hi, s.Center)
	}
	if len(times) == 0 {
		return errors.New("no f32 training-step results to chart")
	}
	var netNames, implNames []string
	for _, net := range nets {
		if shownNet[net] {
			netNames = append(netNames, net)
		}
	}
	for _, impl := range impls {
		if shownImpl[impl] {
			implNames = append(implNames, impl)
		}
	}

	p := plot.New()
	p.Title.Text = "gradgen: time per training step (f32, median; lower is better)"
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.Title.Padding = vg.Points(10)
	p.X.Label.Text = "network (b = batch size)"
	p.Y.Label.Text = "time per step (log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.TickerFunc(timeTicks)
	grid := plotter.NewGrid()
	grid.Vertical.Width = 0
	p.Add(grid)

	// Bars normally start at 0, which a log scale cannot show, so they
	// stand on an invisible base at a power of ten below the fastest time.
	floor := math.Pow(10, math.Floor(math.Log10(lo)-0.5))
	base := &plotter.BarChart{Values: make(plotter.Values, len(netNames))}
	for i := range base.Values {
		base.Values[i] = floor
	}
	barWidth := vg.Points(28)
	for i, impl := range implNames {
		heights := make(plotter.Values, len(netNames))
		var tops plotter.XYLabels
		for j, net := range netNames {
			if t, ok := times[key{"step", net, impl, "f32"}]; ok {
				heights[j] = t - floor
				tops.XYs = append(tops.XYs, plotter.XY{X: float64(j), Y: t})
				tops.Labels = append(tops.Labels, formatTime(t))
			}
		}
		bars, err := plotter.NewBarChart(heights, barWidth)
		if err != nil {
			return err
		}
		bars.StackOn(base)
		bars.Offset = barWidth * vg.Length(float64(i)-float64(len(implNames)-1)/2)
		bars.Color = implColors[impl]
		bars.LineStyle.Width = 0
		labels, err := plotter.NewLabels(tops)
		if err != nil {
			return err
		}
		labels.Offset = vg.Point{X: bars.Offset, Y: vg.Points(2)}
		for k := range labels.TextStyle {
			labels.TextStyle[k].Font = font.From(plot.DefaultFont, vg.Points(7.5))
			labels.TextStyle[k].XAlign = text.XCenter
			labels.TextStyle[k].YAlign = text.YBottom
		}
		p.Add(bars, labels)
		p.Legend.Add(impl, bars)
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(10), -vg.Points(6)
	p.Legend.Padding = vg.Points(3)
	p.NominalX(netNames...)
	p.X.Min, p.X.Max = -0.5, float64(len(netNames))-0.5
	p.Y.Min, p.Y.Max = floor, math.Pow(10, math.Ceil(math.Log10(hi)+0.3))

	c := vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(chartDPI))
	p.Draw(draw.New(c))
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}

// timeTicks places labelled ticks at the powers of ten between lo and hi
// seconds, and unlabelled ones in between.
func timeTicks(lo, hi float64) []plot.Tick {
	ticks := plot.LogTicks{}.Ticks(lo, hi)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = tickLabel(t.Value)
		}
	}
	return ticks
}

// tickLabel formats a duration in seconds in the largest unit that keeps it
// at least 1, without trailing zeros.
func tickLabel(sec float64) string {
	for _, u := range []struct {
		scale float64
		name  string
	}{{1, "s"}, {1e-3, "ms"}, {1e-6, "µs"}} {
		if sec >= u.scale*0.999 {
			return strconv.FormatFloat(sec/u.scale, 'g', 3, 64) + " " + u.name
		}
	}
	return strconv.FormatFloat(sec/1e-9, 'g', 3, 64) + " ns"
}
