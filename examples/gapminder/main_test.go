package main

import (
	"bytes"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gradgen/gradgen/examples/gapminder/lifenet"
)

// outcome is a run's result, its output and its error.
type outcome struct {
	res result
	out string
	err error
}

// runWith runs o and collects what it returned and printed.
func runWith(o options) outcome {
	var out bytes.Buffer
	res, err := run(&out, o)
	return outcome{res, out.String(), err}
}

// defaultRun is the run without flags (seed 1), which the tests share.
var defaultRun = sync.OnceValue(func() outcome { return runWith(defaults) })

// southernAfrica are the neighbours of Botswana where HIV/AIDS cut life
// expectancy in the 1990s and 2000s while incomes rose.
var southernAfrica = []string{"Lesotho", "Malawi", "Mozambique", "Namibia", "South Africa", "Swaziland", "Zambia", "Zimbabwe"}

// TestEmbeddingHelps: with the default options (seed 1), lifenet predicts
// the test split's life expectancies within 0.75 years (root mean squared;
// 0.45 here; seeds 1 to 10 give 0.44 to 0.99, see the README), while the
// same network without the country misses by more than 3.5 years (4.1), at
// least 5 times more. The learned vectors place countries near others of
// their continent well above chance, and Botswana among its southern
// African neighbours. With the wrong rows of the table this fails: see
// TestCountryIdentityMatters.
func TestEmbeddingHelps(t *testing.T) {
	r := defaultRun()
	if r.err != nil {
		t.Fatal(r.err)
	}
	res := r.res
	t.Logf("test RMSE %.3f with the country, %.3f without; mean absolute error %.3f and %.3f; same continent %.3f (chance %.3f)",
		res.TestRMSE, res.BaseRMSE, res.TestMAE, res.BaseMAE, res.Same, res.Chance)
	if res.TestRMSE > 0.75 || res.BaseRMSE < 3.5 || res.BaseRMSE < 5*res.TestRMSE {
		t.Errorf("test RMSE %.3f years with the country and %.3f without; want ≤ 0.75, ≥ 3.5 and 5 times apart\n%s",
			res.TestRMSE, res.BaseRMSE, r.out)
	}
	if res.TestMAE > 0.4 || res.BaseMAE < 2.5 {
		t.Errorf("test mean absolute error %.3f years with the country and %.3f without; want ≤ 0.4 and ≥ 2.5",
			res.TestMAE, res.BaseMAE)
	}
	if res.Same < 1.5*res.Chance {
		t.Errorf("%.3f of the 5 nearest countries share the continent, %.3f by chance; want 1.5 times that", res.Same, res.Chance)
	}
	var near []string
	var found int
	for _, n := range neighbours(res.Model, res.Data.countries.ids["Botswana"], 5) {
		name := res.Data.countries.names[n.id]
		near = append(near, name)
		if slices.Contains(southernAfrica, name) {
			found++
		}
	}
	if found < 3 {
		t.Errorf("Botswana's 5 nearest countries %v; want at least 3 of %v", near, southernAfrica)
	}
	out := r.out
	for _, want := range []string{
		"7573 rows, 185 countries, 1960–2011",
		"6111 training and 1462 test rows",
		"test RMSE: ",
		"nearest countries by the cosine similarity",
		"  Botswana  ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
}

// TestCountryIdentityMatters: the gain comes from knowing which country a
// row is, not from the table's extra parameters. With each row's id drawn
// at random, the same network, trained the same way, does no better than
// the one without the country.
func TestCountryIdentityMatters(t *testing.T) {
	o := defaults
	o.Epochs = 30
	d, err := load(o.Seed)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	for _, s := range []*split{&d.train, &d.test} {
		s.xs = slices.Clone(s.xs)
		for i := range s.xs {
			s.xs[i].Country = r.Int32N(int32(numCountries))
		}
	}
	_, hist, _ := trainLife(d, o)
	t.Logf("random ids: test RMSE %.3f years after %d epochs", hist[len(hist)-1].test, o.Epochs)
	if got := hist[len(hist)-1].test; got < 3.5 {
		t.Errorf("with random ids, test RMSE %.3f years; want ≥ 3.5, as without the country", got)
	}
}

// TestRunDeterministic: two runs of 10 epochs with one seed print the same
// report, apart from the times, and end with the same parameters; another
// seed gives another split and other parameters.
func TestRunDeterministic(t *testing.T) {
	o := defaults
	o.Epochs = 10
	a, b := runWith(o), runWith(o)
	if a.err != nil || b.err != nil {
		t.Fatal(a.err, b.err)
	}
	if ua, ub := untimed(a.out), untimed(b.out); ua != ub {
		t.Errorf("two runs with seed %d print differently apart from the times:\n%s\nand\n%s", o.Seed, ua, ub)
	}
	if !slices.Equal(a.res.Model.Params.Slice(), b.res.Model.Params.Slice()) ||
		!slices.Equal(a.res.Base.Params.Slice(), b.res.Base.Params.Slice()) {
		t.Errorf("two runs with seed %d end with different parameters", o.Seed)
	}
	o.Seed = 2
	c := runWith(o)
	if c.err != nil {
		t.Fatal(c.err)
	}
	if slices.Equal(a.res.Model.Params.Slice(), c.res.Model.Params.Slice()) || a.res.TestRMSE == c.res.TestRMSE {
		t.Errorf("seeds 1 and 2 end with the same parameters or test error")
	}
}

// untimed returns out without the lines that report times.
func untimed(out string) string {
	var b strings.Builder
	for line := range strings.Lines(out) {
		if !strings.Contains(line, "time") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// TestPlotAndCheckpoint: -plot writes a PNG of 1000×420 pixels, and -o
// saves parameters that, loaded into a fresh model, predict the test split
// as the trained one does. A short run will do.
func TestPlotAndCheckpoint(t *testing.T) {
	dir := t.TempDir()
	o := defaults
	o.Epochs = 3
	o.Plot, o.Checkpoint = filepath.Join(dir, "gapminder.png"), filepath.Join(dir, "lifenet.ckpt")
	r := runWith(o)
	if r.err != nil {
		t.Fatal(r.err)
	}
	f, err := os.Open(o.Plot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", o.Plot, err)
	}
	if b := img.Bounds(); b.Dx() != 1000 || b.Dy() != 420 {
		t.Errorf("the plot is %d×%d pixels, want 1000×420", b.Dx(), b.Dy())
	}
	m := lifenet.NewModel(o.Seed + 1) // other weights, until Load replaces them
	if err := m.Params.Load(o.Checkpoint); err != nil {
		t.Fatal(err)
	}
	d := r.res.Data
	if got := rmse(d, m, &d.test); got != r.res.TestRMSE {
		t.Errorf("the model loaded from the checkpoint has test RMSE %v, the trained one %v", got, r.res.TestRMSE)
	}
	for _, want := range []string{"plot: wrote " + o.Plot, "checkpoint: wrote " + o.Checkpoint} {
		if !strings.Contains(r.out, want) {
			t.Errorf("the output lacks %q:\n%s", want, r.out)
		}
	}
}

// TestData: the embedded file reads as 7573 rows of 185 countries; the ids
// are the countries' places in sorted order; the split is stratified by
// country, so that every country has rows on both sides and none is on
// both; the training features are standardised to mean 0 and deviation 1;
// and a row's inputs are its split's.
func TestData(t *testing.T) {
	d, err := load(1)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.rows) != 7573 || len(d.countries.names) != 185 || !slices.IsSorted(d.countries.names) {
		t.Fatalf("%d rows of %d countries (sorted: %v); want 7573 of 185, sorted",
			len(d.rows), len(d.countries.names), slices.IsSorted(d.countries.names))
	}
	if id := d.countries.ids["Albania"]; id != 0 || d.countries.names[184] != "Zimbabwe" {
		t.Errorf("Albania has id %d and id 184 is %s; want 0 and Zimbabwe", id, d.countries.names[184])
	}
	if n := len(d.train.rows) + len(d.test.rows); n != len(d.rows) {
		t.Errorf("the splits hold %d rows, the file %d", n, len(d.rows))
	}
	type key struct {
		country string
		year    int
	}
	inTrain := map[key]bool{}
	trainCountries, testCountries := map[int32]bool{}, map[int32]bool{}
	for i, r := range d.train.rows {
		inTrain[key{r.country, r.year}] = true
		trainCountries[d.train.xs[i].Country] = true
	}
	for i, r := range d.test.rows {
		if inTrain[key{r.country, r.year}] {
			t.Fatalf("%s %d is in both splits", r.country, r.year)
		}
		testCountries[d.test.xs[i].Country] = true
		x, base := d.inputs(r)
		if x != d.test.xs[i] || base != d.test.base[i] {
			t.Fatalf("%s %d: inputs %v and %v, the split's %v and %v", r.country, r.year, x, base, d.test.xs[i], d.test.base[i])
		}
	}
	if len(trainCountries) != 185 || len(testCountries) != 185 {
		t.Errorf("%d countries in training and %d in the test split; want all 185 in both", len(trainCountries), len(testCountries))
	}
	for j := range featureNames {
		var col []float64
		for _, x := range d.train.base {
			col = append(col, float64(x[j]))
		}
		if m, s := meanStd(col); math.Abs(m) > 1e-5 || math.Abs(s-1) > 1e-5 {
			t.Errorf("%s on the training rows: mean %g, deviation %g; want 0 and 1", featureNames[j], m, s)
		}
	}
	var ts []float64
	for _, y := range d.train.ts {
		ts = append(ts, float64(y[0]))
	}
	if m, s := meanStd(ts); math.Abs(m) > 1e-5 || math.Abs(s-1) > 1e-5 {
		t.Errorf("the training targets: mean %g, deviation %g; want 0 and 1", m, s)
	}
	if r := d.test.rows[0]; math.Abs(d.years(d.test.ts[0][0])-r.life) > 1e-4 {
		t.Errorf("years(target) %v, want the life expectancy %v", d.years(d.test.ts[0][0]), r.life)
	}
}

// TestBadData: problems in the file are errors naming the file, the line
// and the column.
func TestBadData(t *testing.T) {
	const head = "country,continent,year,life_expectancy,fertility,population,gdp\n"
	for _, c := range []struct{ csv, want string }{
		{"", "bad.csv: EOF"},
		{"country,year\n", `bad.csv: record on line 1: wrong number of fields`},
		{"country,continent,year,life,fertility,population,gdp\n", `bad.csv:1: header`},
		{head, "bad.csv: no rows"},
		{head + "Chad,Africa,1990,x,6.5,6000000,2000000000\n", `bad.csv:2:18: life_expectancy "x" is not a number > 0`},
		{head + "Chad,Africa,1990,50,6.5,-3,2000000000\n", `bad.csv:2:25: population "-3" is not a number > 0`},
		{head + "Chad,Africa,1990.5,50,6.5,6000000,2000000000\n", `bad.csv:2:13: year "1990.5" is not a year`},
		{head + ",Africa,1990,50,6.5,6000000,2000000000\n", `bad.csv:2:1: no country`},
		{head + "Chad,Africa,1990,50,6.5,6000000\n", `bad.csv: record on line 2: wrong number of fields`},
	} {
		_, err := readRows([]byte(c.csv), "bad.csv")
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one starting %q", c.csv, err, c.want)
		}
	}
	rows, err := readRows([]byte(head+"\"Congo, Rep.\",Africa,1990,55.5,5.1,2400000,3000000000\n"), "good.csv")
	if err != nil || len(rows) != 1 || rows[0].country != "Congo, Rep." || rows[0].year != 1990 || rows[0].life != 55.5 {
		t.Errorf("a quoted country: %+v, %v", rows, err)
	}
}

// TestBadOptions: nonsense settings are refused, not trained on.
func TestBadOptions(t *testing.T) {
	for _, o := range []options{{Seed: 1, Epochs: 0, Batch: 32, LR: 0.003}, {Seed: 1, Epochs: 1, Batch: 0, LR: 0.003}, {Seed: 1, Epochs: 1, Batch: 32}} {
		if _, err := run(new(bytes.Buffer), o); err == nil {
			t.Errorf("%+v was accepted", o)
		}
	}
}
