package main

import (
	"fmt"
	"image/color"
	"os"

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
)

// The colours of the two networks (left) and of the countries (right).
var (
	withColor     = color.RGBA{0x25, 0x63, 0xeb, 0xff} // blue: lifenet, with the country
	withoutColor  = color.RGBA{0xf5, 0x9e, 0x0b, 0xff} // amber: basenet, without it
	countryColors = []color.Color{
		color.RGBA{0xdc, 0x26, 0x26, 0xff}, // red
		color.RGBA{0x16, 0xa3, 0x4a, 0xff}, // green
		color.RGBA{0x7c, 0x3a, 0xed, 0xff}, // violet
	}
	dashed = []vg.Length{vg.Points(5), vg.Points(3)}
)

// writePlot draws the test error of both networks per epoch (left), and the life expectancy of the first three countries of showcase
// over the years with the two networks' predictions (right), and writes the
// figure to path as a PNG.
func writePlot(path string, res result) error {
	d := res.Data
	errs := panel("test error per epoch", "epoch", "root mean squared error, years")
	for _, l := range []struct {
		name  string
		hist  []epochStats
		color color.Color
	}{
		{"without country (basenet)", res.BaseHistory, withoutColor},
		{"with its embedding (lifenet)", res.History, withColor},
	} {
		xys := make(plotter.XYs, len(l.hist))
		for i, s := range l.hist {
			xys[i] = plotter.XY{X: float64(i + 1), Y: s.test}
		}
		if err := addLine(errs, l.name, xys, l.color, nil); err != nil {
			return err
		}
	}
	errs.X.Min, errs.X.Max = 0, float64(len(res.History))
	errs.Y.Min = 0
	errs.Legend.Top = false
	errs.Legend.YOffs = vg.Points(150)

	lives := panel("life expectancy: data (dots), with country (solid), without (dashed)", "year", "years")
	for k, c := range showcase[:len(countryColors)] {
		var data, with, without plotter.XYs
		for _, r := range d.rows {
			if r.country != c {
				continue
			}
			x, base := d.inputs(r)
			year := float64(r.year)
			data = append(data, plotter.XY{X: year, Y: r.life})
			with = append(with, plotter.XY{X: year, Y: predictLife(d, res.Model, &x)})
			without = append(without, plotter.XY{X: year, Y: predictBase(d, res.Base, &base)})
		}
		if len(data) == 0 {
			return fmt.Errorf("no rows of %s", c)
		}
		s, err := plotter.NewScatter(data)
		if err != nil {
			return err
		}
		s.Color = countryColors[k]
		s.Radius = vg.Points(1.8)
		s.Shape = draw.CircleGlyph{}
		lives.Add(s)
		if err := addLine(lives, c, with, countryColors[k], nil); err != nil {
			return err
		}
		if err := addLine(lives, "", without, countryColors[k], dashed); err != nil {
			return err
		}
	}
	lives.Y.Min = 30 // room for the legend, below the data
	lives.Legend.Top = false
	lives.Legend.YOffs = vg.Points(6)

	c := vgimg.NewWith(vgimg.UseWH(plotWidth, plotHeight), vgimg.UseDPI(plotDPI))
	dc := draw.New(c)
	dc.FillText(text.Style{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, vg.Points(13)),
		XAlign:  draw.XCenter,
		YAlign:  draw.YCenter,
		Handler: plot.DefaultTextHandler,
	}, vg.Point{X: plotWidth / 2, Y: plotHeight - titleHeight/2},
		fmt.Sprintf("Gapminder life expectancy: test RMSE %.2f years with a country embedding, %.2f without", res.TestRMSE, res.BaseRMSE))
	body := draw.Crop(dc, 0, 0, 0, -titleHeight)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(12), PadLeft: vg.Points(4), PadRight: vg.Points(8), PadBottom: vg.Points(4)}
	panels := [][]*plot.Plot{{errs, lives}}
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

// panel returns an empty plot with a grid and a legend.
func panel(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.XOffs = -vg.Points(6)
	p.Legend.YOffs = -vg.Points(6)
	return p
}

// addLine adds the line through xys to p, in the legend under name unless
// name is empty.
func addLine(p *plot.Plot, name string, xys plotter.XYs, c color.Color, dash []vg.Length) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color = c
	l.Width = vg.Points(2)
	l.Dashes = dash
	p.Add(l)
	if name != "" {
		p.Legend.Add(name, l)
	}
	return nil
}
