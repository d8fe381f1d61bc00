package dataset_test

import (
	"fmt"
	"strings"

	"github.com/gradgen/gradgen/dataset"
	"github.com/gradgen/gradgen/examples/iris/irisnet"
)

// The whole way from a CSV file to a trained classifier and its scores on a
// test split, with the network of examples/iris.
func Example() {
	t, err := dataset.ReadFile("testdata/flowers.csv.gz", dataset.Format{Header: dataset.NameHeader, LabelName: "species"})
	if err != nil {
		fmt.Println(err)
		return
	}
	train, test := dataset.StratifiedSplit(t.Classes, 0.25, 1)
	std, err := dataset.NewStandardizer(dataset.Subset(t.Rows, train))
	if err != nil {
		fmt.Println(err)
		return
	}
	xs, err := dataset.Vectors[[irisnet.Inputs]float32](std.Standardize(dataset.Subset(t.Rows, train)))
	if err != nil {
		fmt.Println(err)
		return
	}
	ts, err := dataset.OneHot[[irisnet.Outputs]float32](dataset.Subset(t.Classes, train))
	if err != nil {
		fmt.Println(err)
		return
	}
	testXs, err := dataset.Vectors[[irisnet.Inputs]float32](std.Standardize(dataset.Subset(t.Rows, test)))
	if err != nil {
		fmt.Println(err)
		return
	}
	testClasses := dataset.Subset(t.Classes, test)

	m := irisnet.NewModel(1)
	batches := dataset.NewBatches(xs, ts, 4, 1)
	for range 30 {
		batches.Shuffle()
		for k := range batches.Len() {
			m.Train(batches.Batch(k))
		}
	}

	predicted := make([]int, len(testXs))
	var y [irisnet.Outputs]float32
	for i := range testXs {
		m.Predict(&testXs[i], &y)
		predicted[i] = dataset.Argmax(y[:])
	}
	fmt.Printf("%d training and %d test samples of %d classes %q\n", len(train), len(test), len(t.ClassNames), t.ClassNames)
	fmt.Printf("test accuracy %.2f\n", dataset.Accuracy(testClasses, predicted))
	c := dataset.NewConfusion(len(t.ClassNames))
	c.Names = t.ClassNames
	c.AddAll(testClasses, predicted)
	fmt.Print(c)
	// Output:
	// 9 training and 3 test samples of 3 classes ["setosa" "versicolor" "virginica"]
	// test accuracy 1.00
	//                    setosa versicolor  virginica
	//   setosa                1          0          0
	//   versicolor            0          1          0
	//   virginica             0          0          1
}

func ExampleRead() {
	const data = `weight,colour,height
1.5,red,20
2.5,blue,30
"3.5", red ,40
`
	t, err := dataset.Read(strings.NewReader(data), "fruit.csv", dataset.Format{Header: dataset.NameHeader, LabelName: "colour"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("features:", t.Names)
	fmt.Println("rows:", t.Rows)
	fmt.Println("classes:", t.Classes, "named", t.ClassNames)
	// Output:
	// features: [weight height]
	// rows: [[1.5 20] [2.5 30] [3.5 40]]
	// classes: [1 0 1] named [blue red]
}

// Read reads the CSV files scikit-learn bundles, whose header gives the
// counts and the class names.
func ExampleRead_sklearn() {
	const data = `3,2,malignant,benign
17.99,10.38,0
13.54,14.36,1
20.57,17.77,0
`
	t, err := dataset.Read(strings.NewReader(data), "breast_cancer.csv", dataset.Format{Header: dataset.SklearnHeader, Label: -1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.Rows, t.Classes, t.ClassNames)
	// Output:
	// [[17.99 10.38] [13.54 14.36] [20.57 17.77]] [0 1 0] [malignant benign]
}

// A regression: the label is a number, and Targets makes the arrays of a
// network with one output.
func ExampleRead_regression() {
	const data = `0.5,1,2
1.5,3,4
`
	t, err := dataset.Read(strings.NewReader(data), "r.csv", dataset.Format{Label: 0, NumericLabel: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	ts, err := dataset.Targets[[1]float32](t.Targets)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.Rows, ts)
	// Output:
	// [[1 2] [3 4]] [[0.5] [1.5]]
}

// Every problem in the data is a *ParseError naming the file, the line and
// the column.
func ExampleParseError() {
	const data = `1,2,0
3,4,1
5,x,1
`
	_, err := dataset.Read(strings.NewReader(data), "d.csv", dataset.Format{Label: -1})
	fmt.Println(err)
	_, err = dataset.Read(strings.NewReader(data), "d.csv", dataset.Format{Label: -1, ClassNames: []string{"0"}})
	fmt.Println(err)
	// Output:
	// d.csv:3:3: "x" is not a finite number
	// d.csv:2:5: class "1" is not one of 0
}

func ExampleStratifiedSplit() {
	classes := []int{0, 0, 0, 0, 0, 1, 1, 1, 1, 1}
	train, test := dataset.StratifiedSplit(classes, 0.4, 1)
	fmt.Println("train", train)
	fmt.Println("test ", test, "classes", dataset.Subset(classes, test))
	// Output:
	// train [2 3 4 5 7 8]
	// test  [0 1 6 9] classes [0 0 1 1]
}

func ExampleStandardizer() {
	train := [][]float64{{1, 5}, {3, 5}}
	test := [][]float64{{5, 6}}
	s, err := dataset.NewStandardizer(train)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("mean", s.Mean, "std", s.Std)
	fmt.Println(s.Standardize(train), s.Standardize(test))
	// Output:
	// mean [2 5] std [1 0]
	// [[-1 0] [1 0]] [[3 1]]
}

func ExampleVectors() {
	xs, err := dataset.Vectors[[3]float32]([][]float64{{1, 2, 3}, {0.5, 0, -1}})
	fmt.Println(xs, err)
	_, err = dataset.Vectors[[2]float32]([][]float64{{1, 2, 3}})
	fmt.Println(err)
	// Output:
	// [[1 2 3] [0.5 0 -1]] <nil>
	// dataset.Vectors: row 0 has 3 values, but [2]float32 holds 2
}

func ExampleOneHot() {
	ts, err := dataset.OneHot[[3]float64]([]int{2, 0})
	fmt.Println(ts, err)
	// Output:
	// [[0 0 1] [1 0 0]] <nil>
}

func ExampleBatches() {
	xs := [][1]float32{{0}, {1}, {2}, {3}, {4}}
	ts := [][1]float32{{0}, {10}, {20}, {30}, {40}}
	b := dataset.NewBatches(xs, ts, 2, 1)
	for epoch := range 2 {
		b.Shuffle()
		for k := range b.Len() {
			x, t := b.Batch(k) // m.Train(x, t) with a generated Model
			fmt.Print(x, t, " ")
		}
		fmt.Println("- epoch", epoch+1)
	}
	// Output:
	// [[1] [0]] [[10] [0]] [[3] [4]] [[30] [40]] [[2]] [[20]] - epoch 1
	// [[0] [2]] [[0] [20]] [[3] [1]] [[30] [10]] [[4]] [[40]] - epoch 2
}

func ExampleConfusion() {
	actual := []int{0, 0, 1, 1, 1, 2}
	predicted := []int{0, 1, 1, 1, 2, 2}
	c := dataset.NewConfusion(3)
	c.AddAll(actual, predicted)
	fmt.Print(c)
	fmt.Printf("accuracy %.4f\n", c.Accuracy())
	// Output:
	//        0   1   2
	//   0     1   1   0
	//   1     0   2   1
	//   2     0   0   1
	// accuracy 0.6667
}

func ExampleArgmax() {
	logits := [4]float32{0.1, 2.5, -1, 2.5}
	fmt.Println(dataset.Argmax(logits[:]))
	// Output: 1
}

func ExampleMeanSquaredError() {
	y := [3]float32{1, 2, 3}
	t := [3]float32{1, 2, 5}
	fmt.Println(dataset.MeanSquaredError(y[:], t[:]))
	// Output: 1.3333333333333333
}
