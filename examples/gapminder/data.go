package main

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/gradgen/gradgen/dataset"
	"github.com/gradgen/gradgen/examples/gapminder/basenet"
	"github.com/gradgen/gradgen/examples/gapminder/lifenet"
)

//go:embed gapminder.csv.gz
var gapminderCSV []byte

// numCountries is the number of rows of lifenet's embedding table, the
// spec's categories: one per country of the file.
const numCountries = len(lifenet.Params{}.E1)

// dataFile is the name the errors give the embedded file.
const dataFile = "gapminder.csv.gz"

// columns are the header of the file, in order.
var columns = []string{"country", "continent", "year", "life_expectancy", "fertility", "population", "gdp"}

// row is one line of the file: a country in a year.
type row struct {
	country, continent string
	year               int
	life               float64 // life expectancy at birth, in years
	fertility          float64 // children per woman
	population         float64
	gdp                float64 // total GDP, in constant US dollars
}

// features returns the numbers the networks read, before standardising:
// the year, the fertility rate and the log of GDP per person.
func (r row) features() []float64 {
	return []float64{float64(r.year), r.fertility, math.Log(r.gdp / r.population)}
}

// featureNames name the values of features, in order.
var featureNames = [3]string{"year", "fertility", "log GDP per person"}

// readRows parses the CSV in data (gzip-compressed or not). Errors name the
// file, the line and the column.
func readRows(data []byte, name string) ([]row, error) {
	var r io.Reader = bytes.NewReader(data)
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r = z
	}
	c := csv.NewReader(r)
	c.FieldsPerRecord = len(columns)
	head, err := c.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !slices.Equal(head, columns) {
		return nil, fmt.Errorf("%s:1: header %q, want %q", name, head, columns)
	}
	var rows []row
	for {
		rec, err := c.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		num := func(field int, positive bool) float64 {
			if err != nil {
				return 0
			}
			v, e := strconv.ParseFloat(rec[field], 64)
			if e != nil || math.IsInf(v, 0) || math.IsNaN(v) || (positive && !(v > 0)) {
				line, col := c.FieldPos(field)
				want := "a finite number"
				if positive {
					want = "a number > 0"
				}
				err = fmt.Errorf("%s:%d:%d: %s %q is not %s", name, line, col, columns[field], rec[field], want)
			}
			return v
		}
		x := row{country: rec[0], continent: rec[1], life: num(3, true), fertility: num(4, true),
			population: num(5, true), gdp: num(6, true)}
		year := num(2, false)
		if err == nil && (year != math.Trunc(year) || year < 1800 || year > 2100) {
			line, col := c.FieldPos(2)
			err = fmt.Errorf("%s:%d:%d: year %q is not a year", name, line, col, rec[2])
		}
		if err == nil && x.country == "" {
			line, col := c.FieldPos(0)
			err = fmt.Errorf("%s:%d:%d: no country", name, line, col)
		}
		if err != nil {
			return nil, err
		}
		x.year = int(year)
		rows = append(rows, x)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows", name)
	}
	return rows, nil
}

// vocabulary gives each distinct category an id: its index in the sorted
// list of names, so the same data give the same ids.
type vocabulary struct {
	names []string
	ids   map[string]int32
}

// newVocabulary returns the vocabulary of the values of key over rows.
func newVocabulary(rows []row, key func(row) string) *vocabulary {
	v := &vocabulary{ids: map[string]int32{}}
	for _, r := range rows {
		if _, ok := v.ids[key(r)]; !ok {
			v.ids[key(r)] = 0
			v.names = append(v.names, key(r))
		}
	}
	slices.Sort(v.names)
	for i, n := range v.names {
		v.ids[n] = int32(i)
	}
	return v
}

// split is one part of the data, ready for both networks.
type split struct {
	rows   []row
	xs     []lifenet.Input            // the standardised features and the country's id
	base   [][basenet.Inputs]float32  // the same features, without the country
	ts     [][lifenet.Outputs]float32 // the standardised life expectancy
	baseTs [][basenet.Outputs]float32 // the same targets, for basenet
}

// data is the data set of a run: the countries' ids, the two splits, and
// what turns a network's output back into years.
type data struct {
	rows        []row // every row of the file, in its order
	countries   *vocabulary
	continent   []string // each country's continent, by id
	train, test split
	std         *dataset.Standardizer // the features' mean and deviation on the training rows
	lifeMean    float64               // the training rows' mean life expectancy
	lifeStd     float64               // and its (population) standard deviation
}

// years converts a network's output to a life expectancy in years.
func (d *data) years(y float32) float64 { return d.lifeMean + d.lifeStd*float64(y) }

// load reads the embedded file and splits its rows 80/20, stratified by
// country so that every country has a fifth of its years in the test split,
// and standardises the features and the target with the training split's
// statistics only.
func load(seed uint64) (*data, error) {
	rows, err := readRows(gapminderCSV, dataFile)
	if err != nil {
		return nil, err
	}
	d := &data{rows: rows, countries: newVocabulary(rows, func(r row) string { return r.country })}
	if n := len(d.countries.names); n != numCountries {
		return nil, fmt.Errorf("%s: %d countries, but lifenet's table has %d rows", dataFile, n, numCountries)
	}
	d.continent = make([]string, numCountries)
	ids := make([]int, len(rows))
	for i, r := range rows {
		id := d.countries.ids[r.country]
		ids[i] = int(id)
		if c := d.continent[id]; c != "" && c != r.continent {
			return nil, fmt.Errorf("%s: %s is in %s and in %s", dataFile, r.country, c, r.continent)
		}
		d.continent[id] = r.continent
	}
	trainIdx, testIdx := dataset.StratifiedSplit(ids, 0.2, seed)
	features := make([][]float64, len(rows))
	for i, r := range rows {
		features[i] = r.features()
	}
	if d.std, err = dataset.NewStandardizer(dataset.Subset(features, trainIdx)); err != nil {
		return nil, err
	}
	lives := make([]float64, len(trainIdx))
	for k, i := range trainIdx {
		lives[k] = rows[i].life
	}
	d.lifeMean, d.lifeStd = meanStd(lives)
	part := func(idx []int) (s split, err error) {
		s.rows = dataset.Subset(rows, idx)
		if s.base, err = dataset.Vectors[[basenet.Inputs]float32](d.std.Standardize(dataset.Subset(features, idx))); err != nil {
			return s, err
		}
		s.xs = make([]lifenet.Input, len(idx))
		targets := make([]float64, len(idx))
		for k, r := range s.rows {
			s.xs[k] = lifenet.Input{Features: s.base[k], Country: d.countries.ids[r.country]}
			targets[k] = (r.life - d.lifeMean) / d.lifeStd
		}
		if s.ts, err = dataset.Targets[[lifenet.Outputs]float32](targets); err != nil {
			return s, err
		}
		s.baseTs, err = dataset.Targets[[basenet.Outputs]float32](targets)
		return s, err
	}
	if d.train, err = part(trainIdx); err != nil {
		return nil, err
	}
	if d.test, err = part(testIdx); err != nil {
		return nil, err
	}
	return d, nil
}

// inputs returns the inputs of both networks for r, standardised as the
// splits are.
func (d *data) inputs(r row) (lifenet.Input, [basenet.Inputs]float32) {
	var base [basenet.Inputs]float32
	for j, v := range d.std.Standardize([][]float64{r.features()})[0] {
		base[j] = float32(v)
	}
	return lifenet.Input{Features: base, Country: d.countries.ids[r.country]}, base
}

// meanStd returns the mean and the population standard deviation of xs.
func meanStd(xs []float64) (mean, std float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs)))
}
