// run.mjs runs ONNX models under ONNX Runtime (the npm package
// onnxruntime-node, at the version package.json pins) for gradgen's export
// cross-check. It reads a request, a JSON file named by its argument (or
// stdin):
//
//	{"runs": [{"model": "tiny.onnx", "type": "float32", "dims": [7, 4], "data": [...]}, ...]}
//
// runs each model once on its input, the model's only input, on one thread,
// and prints one JSON line to stdout:
//
//	{"ort": "1.30.0", "results": [{"dims": [7, 3], "data": [...], "outputs": [...]}, ...]}
//
// the results in order, each the model's first output, and all of its
// outputs (each {"dims", "data"}) in the model's order. A run of a model of
// several inputs names them: {"model": ..., "type": ..., "inputs": [{"name":
// "obs", "dims": [7, 4], "data": [...]}, ...]}; an input of another type
// than the run's gives it, "int64" or "int32" for the ids of an embedding
// ({"name": "item", "type": "int64", "dims": [7], "data": [3, 0, ...]},
// fed as a BigInt64Array or an Int32Array). JSON numbers carry a
// float32 or float64 exactly both ways (a float32 widens to a double, and a
// double prints as the shortest text that reads back as it). onnxruntime-node
// is loaded from the node_modules directory GRADGEN_ORT_NODE_MODULES names,
// or from beside this script. Errors go to stderr with exit status 1.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.GRADGEN_ORT_NODE_MODULES;
// A require that resolves from inside dir (a file in it need not exist).
const require = createRequire(dir ? join(dir, 'gradgen-onnxrt.cjs') : import.meta.url);
const ort = require('onnxruntime-node');

const arrays = { float32: Float32Array, float64: Float64Array };

// tensor makes the tensor of one input of the given type from its JSON
// numbers: floats of the run's type, or integer ids, each checked to be
// an integer of the type's range.
function tensor(type, data, dims) {
	switch (type) {
		case 'float32':
		case 'float64':
			return new ort.Tensor(type, arrays[type].from(data), dims);
		case 'int64':
		case 'int32': {
			for (const v of data) {
				if (!Number.isSafeInteger(v) || (type === 'int32' && (v < -(2 ** 31) || v >= 2 ** 31))) {
					throw new Error(`${v} is not an ${type}`);
				}
			}
			const ints = type === 'int64' ? BigInt64Array.from(data, (v) => BigInt(v)) : Int32Array.from(data);
			return new ort.Tensor(type, ints, dims);
		}
	}
	throw new Error(`input type ${type}, want float32, float64, int64 or int32`);
}

async function main() {
	const request = JSON.parse(readFileSync(process.argv[2] ?? 0, 'utf8'));
	const options = {
		intraOpNumThreads: 1,
		interOpNumThreads: 1,
		executionMode: 'sequential',
		executionProviders: ['cpu'],
	};
	const sessions = new Map();
	const results = [];
	for (const run of request.runs) {
		if (!arrays[run.type]) {
			throw new Error(`${run.model}: input type ${run.type}, want float32 or float64`);
		}
		let session = sessions.get(run.model);
		let out;
		try {
			if (!session) {
				session = await ort.InferenceSession.create(run.model, options);
				sessions.set(run.model, session);
			}
			const feeds = {};
			for (const input of run.inputs ?? [{ name: session.inputNames[0], dims: run.dims, data: run.data }]) {
				feeds[input.name] = tensor(input.type ?? run.type, input.data, input.dims);
			}
			out = await session.run(feeds);
		} catch (e) {
			throw new Error(`${run.model}: ${e.message}`);
		}
		const outputs = [];
		for (const name of session.outputNames) {
			const y = out[name];
			if (y.type !== run.type) {
				throw new Error(`${run.model}: output ${name} of type ${y.type}, input ${run.type}`);
			}
			outputs.push({ dims: y.dims, data: [...y.data] });
		}
		results.push({ dims: outputs[0].dims, data: outputs[0].data, outputs });
	}
	process.stdout.write(JSON.stringify({ ort: ort.env.versions?.node ?? '', results }) + '\n');
}

main().catch((e) => {
	process.stderr.write(`run.mjs: ${e.message ?? e}\n`);
	process.exit(1);
});
