package main

import (
	"image/color"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The figure: 1000×420 pixels at 96 dpi, a title strip above two panels.
const (
	plotDPI     = 96
	plotWidth   = 1000 * vg.Inch / plotDPI
	plotHeight  = 420 * vg.Inch / plotDPI
	titleHeight = 36 * vg.Inch / plotDPI
)

// The colours of the engines, as in docs/bench/chart.png where they meet.
var (
	generatedColor = color.RGBA{0x25, 0x63, 0xeb, 0xff} // blue
	genericColor   = color.RGBA{0xf5, 0x9e, 0x0b, 0xff} // amber
)

// writePlot draws, per epoch, the training loss (left, log scale) and the
// test accuracy (right) of the generated network and the generic engine's
// side by side under title, and writes the figure to path as a PNG.
func writePlot(path, title string, gen, gnr []epochStats) error {
	loss := panel("training loss (mean of the minibatch losses)", "loss (log scale)")
	loss.Y.Scale = plot.LogScale{}
	loss.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	acc := panel("test accuracy", "accuracy")
	acc.Legend.Top = false
	acc.Legend.YOffs = vg.Points(6)
	for _, e := range []struct {
		name  string
		hist  []epochStats
		color color.Color
		dash  []vg.Length
	}{
		{"generated", gen, generatedColor, nil},
		{"generic engine", gnr, genericColor, []vg.Length{vg.Points(5), vg.Points(3)}},
	} {
		if err := addLine(loss, e.name, e.hist, func(s epochStats) float64 { return s.loss }, e.color, e.dash); err != nil {
			return err
		}
		if err := addLine(acc, e.name, e.hist, func(s epochStats) float64 { return s.testAcc }, e.color, e.dash); err != nil {
			return err
		}
	}

	loss.Y.Min, loss.Y.Max = loss.Y.Min/1.2, loss.Y.Max*1.2 // room above and below the curves
	acc.Y.Min = math.Floor(min(acc.Y.Min, 0.95)*20) / 20    // a multiple of 0.05, for round ticks
	acc.Y.Max = 1
	for _, p := range []*plot.Plot{loss, acc} {
		p.X.Min, p.X.Max = 0, float64(len(gen))
	}

	c := vgimg.NewWith(vgimg.UseWH(plotWidth, plotHeight), vgimg.UseDPI(plotDPI))
	dc := draw.New(c)
	dc.FillText(text.Style{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, vg.Points(13)),
		XAlign:  draw.XCenter,
		YAlign:  draw.YCenter,
		Handler: plot.DefaultTextHandler,
	}, vg.Point{X: plotWidth / 2, Y: plotHeight - titleHeight/2},
		title)
	body := draw.Crop(dc, 0, 0, 0, -titleHeight)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(12), PadLeft: vg.Points(4), PadRight: vg.Points(8), PadBottom: vg.Points(4)}
	panels := [][]*plot.Plot{{loss, acc}}
	for j, cv := range plot.Align(panels, tiles, body)[0] {
		panels[0][j].Draw(cv)
	}

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// panel returns an empty plot over the epochs with a grid and a legend.
func panel(title, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.XOffs = -vg.Points(6)
	p.Legend.YOffs = -vg.Points(6)
	return p
}

// addLine adds to p the line of y(s) over the epochs s of hist.
func addLine(p *plot.Plot, name string, hist []epochStats, y func(epochStats) float64, c color.Color, dash []vg.Length) error {
	xys := make(plotter.XYs, len(hist))
	for i, s := range hist {
		xys[i] = plotter.XY{X: float64(i + 1), Y: y(s)}
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color = c
	l.Width = vg.Points(2)
	l.Dashes = dash
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}
