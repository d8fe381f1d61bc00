package main

import (
	"fmt"
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
	"generated":   color.RGBA{0x25, 0x63, 0xeb, 0xff}, // blue
	"generic":     color.RGBA{0x9c, 0xa3, 0xaf, 0xff}, // grey
	"gorgonia":    color.RGBA{0xf5, 0x9e, 0x0b, 0xff}, // amber
	"onnxruntime": color.RGBA{0x05, 0x96, 0x69, 0xff}, // green
	"pytorch":     color.RGBA{0xdc, 0x26, 0x26, 0xff}, // red
}

// chart describes a bar chart of the f32 times of one benchmark kind.
type chart struct {
	kind, title, yLabel string
}

// The charts of the -png and -inferpng flags.
var (
	stepChart  = chart{"step", "gradgen: time per training step (f32, median; lower is better)", "time per step (log scale)"}
	inferChart = chart{"infer", "gradgen: time per inference (f32, median; lower is better)", "time per forward pass (log scale)"}
)

// medians returns the median f32 time of each benchmark of kind, and the
// networks and implementations that have one, in display order.
func (res *results) medians(kind string) (times map[key]float64, netNames, implNames []string) {
	times = map[key]float64{}
	shownNet, shownImpl := map[string]bool{}, map[string]bool{}
	for k := range res.samples {
		if k.kind != kind || k.dtype != "f32" {
			continue
		}
		if s, n := res.summary(k, unitTime); n > 0 && s.Center > 0 {
			times[k] = s.Center
			shownNet[k.net], shownImpl[k.impl] = true, true
		}
	}
	sec := sectionOf(kind)
	for _, net := range sec.nets {
		if shownNet[net] {
			netNames = append(netNames, net)
		}
	}
	for _, impl := range sec.impls {
		if shownImpl[impl] {
			implNames = append(implNames, impl)
		}
	}
	return times, netNames, implNames
}

// writeChart draws the median f32 time of each network of c.kind as a
// grouped bar chart on a log scale, one colour per implementation, and
// writes it to w as an 800×450 PNG.
func (res *results) writeChart(w io.Writer, c chart) error {
	times, netNames, implNames := res.medians(c.kind)
	if len(times) == 0 {
		return fmt.Errorf("no f32 %s results to chart", c.kind)
	}
	lo, hi := math.Inf(1), 0.0
	for _, t := range times {
		lo, hi = min(lo, t), max(hi, t)
	}

	p := plot.New()
	p.Title.Text = c.title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.Title.Padding = vg.Points(10)
	p.X.Label.Text = "network (b = batch size)"
	p.Y.Label.Text = c.yLabel
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
	// 28 points wide, narrower if the groups of bars would touch.
	barWidth := min(vg.Points(28), (chartWidth-vg.Points(80))/vg.Length(len(netNames)*len(implNames))*0.85)
	for i, impl := range implNames {
		bars, labels, err := implBars(c.kind, impl, netNames, times, floor, barWidth)
		if err != nil {
			return err
		}
		bars.StackOn(base)
		bars.Offset = barWidth * vg.Length(float64(i)-float64(len(implNames)-1)/2)
		labels.Offset = vg.Point{X: bars.Offset, Y: vg.Points(2)}
		p.Add(bars, labels)
		p.Legend.Add(impl, bars)
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(10), -vg.Points(6)
	p.Legend.Padding = vg.Points(3)
	p.NominalX(netNames...)
	p.X.Min, p.X.Max = -0.5, float64(len(netNames))-0.5
	p.Y.Min, p.Y.Max = floor, math.Pow(10, math.Ceil(math.Log10(hi)+0.3))

	cv := vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(chartDPI))
	p.Draw(draw.New(cv))
	_, err := vgimg.PngCanvas{Canvas: cv}.WriteTo(w)
	return err
}

// implBars returns the bars of one implementation, standing on floor, and
// the labels of their times above them.
func implBars(kind, impl string, netNames []string, times map[key]float64, floor float64, width vg.Length) (*plotter.BarChart, *plotter.Labels, error) {
	heights := make(plotter.Values, len(netNames))
	var tops plotter.XYLabels
	for j, net := range netNames {
		if t, ok := times[key{kind, net, impl, "f32"}]; ok {
			heights[j] = t - floor
			tops.XYs = append(tops.XYs, plotter.XY{X: float64(j), Y: t})
			tops.Labels = append(tops.Labels, formatTime(t))
		}
	}
	bars, err := plotter.NewBarChart(heights, width)
	if err != nil {
		return nil, nil, err
	}
	bars.Color = implColors[impl]
	bars.LineStyle.Width = 0
	labels, err := plotter.NewLabels(tops)
	if err != nil {
		return nil, nil, err
	}
	for k := range labels.TextStyle {
		labels.TextStyle[k].Font = font.From(plot.DefaultFont, vg.Points(7.5))
		labels.TextStyle[k].XAlign = text.XCenter
		labels.TextStyle[k].YAlign = text.YBottom
	}
	return bars, labels, nil
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
