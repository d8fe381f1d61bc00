package main

import (
	"image/color"
	"os"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The figure: 1000×420 pixels at 96 dpi, a title strip above two panels, as
// examples/digits draws it.
const (
	plotDPI     = 96
	plotWidth   = 1000 * vg.Inch / plotDPI
	plotHeight  = 420 * vg.Inch / plotDPI
	titleHeight = 36 * vg.Inch / plotDPI
	// panelTitleHeight is the strip of the panels' titles, below the title.
	panelTitleHeight = 24 * vg.Inch / plotDPI
)

// The colours of the curves.
var (
	returnColor  = color.RGBA{0x93, 0xc5, 0xfd, 0xff} // light blue: each episode
	averageColor = color.RGBA{0x25, 0x63, 0xeb, 0xff} // blue: the moving average
	solvedColor  = color.RGBA{0x16, 0xa3, 0x4a, 0xff} // green: the threshold
	valueColor   = color.RGBA{0xf5, 0x9e, 0x0b, 0xff} // amber: the value head's loss
)

// writePlot draws, over the training episodes of res, the return of each
// episode with its moving average of window episodes and the threshold of
// solving (left), and the value head's loss at each update (right, log
// scale), under title, and writes the figure to path as a PNG.
func writePlot(path, title string, res result) error {
	ret := panel("return")
	episodes := make(plotter.XYs, len(res.Returns))
	average := make(plotter.XYs, len(res.Returns))
	var sum float64
	for i, r := range res.Returns {
		sum += r
		n := min(i+1, window)
		if i >= window {
			sum -= res.Returns[i-window]
		}
		episodes[i] = plotter.XY{X: float64(i + 1), Y: r}
		average[i] = plotter.XY{X: float64(i + 1), Y: sum / float64(n)}
	}
	threshold := plotter.XYs{{X: 0, Y: solvedMean}, {X: float64(len(res.Returns)), Y: solvedMean}}
	for _, l := range []struct {
		name  string
		xys   plotter.XYs
		color color.Color
		width float64
		dash  []vg.Length
	}{
		{"episode", episodes, returnColor, 1, nil},
		{"mean of the last 20", average, averageColor, 2.5, nil},
		{"solved (475)", threshold, solvedColor, 1.5, []vg.Length{vg.Points(5), vg.Points(3)}},
	} {
		if err := addLine(ret, l.name, l.xys, l.color, l.width, l.dash); err != nil {
			return err
		}
	}
	ret.Legend.Top = false
	ret.Legend.Left = false
	ret.Legend.YOffs = vg.Points(6)
	ret.Y.Min, ret.Y.Max = 0, maxSteps+25
	var ticks []plot.Tick
	for y := 0; y <= maxSteps; y += 100 {
		ticks = append(ticks, plot.Tick{Value: float64(y), Label: strconv.Itoa(y)})
	}
	ret.Y.Tick.Marker = plot.ConstantTicks(ticks)

	loss := panel("loss (log scale)")
	loss.Y.Scale = plot.LogScale{}
	loss.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	values := make(plotter.XYs, len(res.Updates))
	for i, u := range res.Updates {
		values[i] = plotter.XY{X: float64(u.Episodes), Y: max(float64(u.Value), 1e-6)}
	}
	if err := addLine(loss, "value loss", values, valueColor, 2, nil); err != nil {
		return err
	}
	loss.Legend = plot.NewLegend() // one curve: the title says it all
	for _, p := range []*plot.Plot{ret, loss} {
		p.X.Min, p.X.Max = 0, float64(len(res.Returns))
	}

	c := vgimg.NewWith(vgimg.UseWH(plotWidth, plotHeight), vgimg.UseDPI(plotDPI))
	dc := draw.New(c)
	style := func(points float64) text.Style {
		return text.Style{
			Color:   color.Black,
			Font:    font.From(plot.DefaultFont, vg.Points(points)),
			XAlign:  draw.XCenter,
			YAlign:  draw.YCenter,
			Handler: plot.DefaultTextHandler,
		}
	}
	dc.FillText(style(13), vg.Point{X: plotWidth / 2, Y: plotHeight - titleHeight/2}, title)
	body := draw.Crop(dc, 0, 0, 0, -titleHeight-panelTitleHeight)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(12), PadLeft: vg.Points(4), PadRight: vg.Points(8), PadBottom: vg.Points(4)}
	panels := [][]*plot.Plot{{ret, loss}}
	titles := []string{"return per training episode", "value head's loss before each update (mse)"}
	for j, cv := range plot.Align(panels, tiles, body)[0] {
		p := panels[0][j]
		p.Draw(cv)
		// The panels' titles are drawn here, not by plot.Plot, so that they
		// line up whatever room each panel's tick labels take.
		dc.FillText(style(12), vg.Point{X: dataCenterX(p, cv), Y: plotHeight - titleHeight - panelTitleHeight/2}, titles[j])
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

// panel returns an empty plot over the training episodes with a grid.
func panel(ylabel string) *plot.Plot {
	p := plot.New()
	p.X.Label.Text = "training episode"
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	p.Legend.XOffs = -vg.Points(6)
	return p
}

// addLine adds to p the line through xys, named in the legend.
func addLine(p *plot.Plot, name string, xys plotter.XYs, c color.Color, width float64, dash []vg.Length) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color = c
	l.Width = vg.Points(width)
	l.Dashes = dash
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

// dataCenterX returns the horizontal middle of the data area of p drawn on c.
func dataCenterX(p *plot.Plot, c draw.Canvas) vg.Length {
	d := p.DataCanvas(c)
	return (d.Min.X + d.Max.X) / 2
}
