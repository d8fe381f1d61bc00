//go:build js && wasm

// Command web is the WebAssembly half of the browser demo: the generated
// digits network (package generated/digits, with the weights of package
// model) classifying the digits a person draws on index.html, and learning
// from their corrections. Build it with
//
//	GOOS=js GOARCH=wasm go build -o main.wasm ./examples/web
//
// and serve it with index.html, app.js and Go's wasm_exec.js, as `make web`
// does. The page defines globalThis.gradgenReady and gradgenFailed before it
// starts the program; the program calls gradgenReady(api, info) once the
// network is loaded, or gradgenFailed(message) if it cannot be, and then
// serves the calls of api until the page closes:
//
//	api.classify(strokes)        → {digit, proba, image} or null if nothing is drawn
//	api.correct(strokes, digit)  → {steps, lossBefore, lossAfter, result}, result as classify's
//	api.reset()                  → undefined: back to the shipped weights
//
// strokes is an array of strokes, each an array of coordinates x0, y0, x1,
// y1, …; proba holds the ten probabilities, image the 64 pixels (0 to 16) of
// the 8×8 image the network reads. A call that fails returns an Error.
package main

import (
	"fmt"
	"math"
	"syscall/js"

	"github.com/gradgen/gradgen/examples/web/ink"
	"github.com/gradgen/gradgen/examples/web/model"
	"github.com/gradgen/gradgen/generated/digits"
)

func main() {
	c, err := model.New()
	if err != nil {
		js.Global().Call("gradgenFailed", err.Error())
		return
	}
	api := map[string]any{
		"classify": method(func(args []js.Value) (any, error) { return classify(c, args) }),
		"correct":  method(func(args []js.Value) (any, error) { return correct(c, args) }),
		"reset":    method(func([]js.Value) (any, error) { return nil, c.Reset() }),
	}
	js.Global().Call("gradgenReady", api, info())
	select {} // serve the page's calls
}

// info describes the network and its training, for the page.
func info() map[string]any {
	return map[string]any{
		"inputs":             digits.Inputs,
		"outputs":            digits.Outputs,
		"params":             digits.NumParams,
		"epochs":             model.Epochs,
		"trainImages":        model.TrainImages,
		"testImages":         model.TestImages,
		"testCorrect":        model.TestCorrect,
		"weightBytes":        len(model.Shipped()),
		"maxCorrectionSteps": model.MaxCorrectionSteps,
	}
}

// method returns f as a JavaScript function that returns what f returns, or
// an Error for an error or a panic of f.
func method(f func(args []js.Value) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) (result any) {
		defer func() {
			if r := recover(); r != nil {
				result = jsError(fmt.Errorf("panic: %v", r))
			}
		}()
		v, err := f(args)
		if err != nil {
			return jsError(err)
		}
		return v
	})
}

// jsError returns err as a JavaScript Error.
func jsError(err error) js.Value {
	return js.Global().Get("Error").New(err.Error())
}

// classify is api.classify(strokes).
func classify(c *model.Classifier, args []js.Value) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("classify: %d arguments, want 1: strokes", len(args))
	}
	img, ok, err := image(args[0])
	if err != nil || !ok {
		return nil, err
	}
	return result(c.Classify(&img), &img), nil
}

// correct is api.correct(strokes, digit).
func correct(c *model.Classifier, args []js.Value) (any, error) {
	if len(args) != 2 || args[1].Type() != js.TypeNumber {
		return nil, fmt.Errorf("correct: want 2 arguments, strokes and a digit")
	}
	img, ok, err := image(args[0])
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("correct: nothing is drawn")
	}
	r, err := c.Correct(&img, args[1].Int())
	if err != nil {
		return nil, fmt.Errorf("correct: %w", err)
	}
	return map[string]any{
		"steps":      r.Steps,
		"totalSteps": c.Steps(),
		"lossBefore": r.LossBefore,
		"lossAfter":  r.LossAfter,
		"result":     result(c.Classify(&img), &img),
	}, nil
}

// image returns the image of the drawing v, an array of strokes, and false
// if nothing is drawn.
func image(v js.Value) (ink.Image, bool, error) {
	strokes, err := readStrokes(v)
	if err != nil {
		return ink.Image{}, false, err
	}
	img, ok := ink.Digitize(strokes)
	return img, ok, nil
}

// readStrokes reads v, an array of arrays of coordinates x0, y0, x1, y1, ….
func readStrokes(v js.Value) ([]ink.Stroke, error) {
	if !isArray(v) {
		return nil, fmt.Errorf("strokes: got %s, want an array", v.Type())
	}
	strokes := make([]ink.Stroke, v.Length())
	for i := range strokes {
		s := v.Index(i)
		if !isArray(s) || s.Length()%2 != 0 {
			return nil, fmt.Errorf("stroke %d: want an array of an even number of coordinates", i)
		}
		for k := 0; k < s.Length(); k += 2 {
			x, y := s.Index(k), s.Index(k+1)
			if !finite(x) || !finite(y) {
				return nil, fmt.Errorf("stroke %d, point %d: want finite numbers, got %v, %v", i, k/2, x, y)
			}
			strokes[i] = append(strokes[i], ink.Point{X: x.Float(), Y: y.Float()})
		}
	}
	return strokes, nil
}

// isArray reports whether v is an Array or a typed array.
func isArray(v js.Value) bool {
	return v.Type() == js.TypeObject && v.Get("length").Type() == js.TypeNumber
}

// finite reports whether v is a finite number.
func finite(v js.Value) bool {
	return v.Type() == js.TypeNumber && !math.IsInf(v.Float(), 0) && !math.IsNaN(v.Float())
}

// result returns r and the image it read as a JavaScript object.
func result(r model.Result, img *ink.Image) map[string]any {
	proba := make([]any, len(r.Proba))
	for i, p := range r.Proba {
		proba[i] = float64(p)
	}
	pixels := make([]any, len(img))
	for i, v := range img {
		pixels[i] = int(v)
	}
	return map[string]any{"digit": r.Digit, "proba": proba, "image": pixels}
}
