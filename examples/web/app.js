// app.js is the drawing pad of the browser demo. It starts main.wasm, the
// generated digits network built from examples/web, with Go's wasm_exec.js,
// sends it the strokes drawn on the pad and shows what it reads. Every error,
// of the page or of the Go program, shows in the #error box.
"use strict";

const $ = (id) => document.getElementById(id);
const pad = $("pad");
const ctx = pad.getContext("2d");
const penWidth = 14; // CSS pixels, on the pad only: the network's pen is its own

let api = null; // the Go program's calls, once it is ready
let strokes = []; // the strokes drawn, each [x0, y0, x1, y1, …] in CSS pixels
let current = null; // the stroke being drawn
let scheduled = false; // a classification waits for the next frame

// fail shows message in the error box, and keeps the earlier ones.
function fail(message) {
  const box = $("error");
  box.textContent += (box.textContent ? "\n" : "") + message;
  box.style.display = "block";
  document.body.dataset.error = "true";
  if (!api) document.body.dataset.state = "error";
}

// guard returns f, reporting what it throws with fail.
function guard(f) {
  return (...args) => {
    try {
      return f(...args);
    } catch (e) {
      fail(String((e && e.stack) || e));
    }
  };
}

// call returns what f returns, a call of the Go program, throwing the Error
// it returns instead.
function call(f) {
  const r = f();
  if (r instanceof Error) throw r;
  return r;
}

window.addEventListener("error", (e) => fail(`${e.message} (${e.filename}:${e.lineno})`));
window.addEventListener("unhandledrejection", (e) => fail(String((e.reason && e.reason.stack) || e.reason)));

// setUpPad sizes the pad's bitmap for the screen's pixel density.
function setUpPad() {
  const ratio = window.devicePixelRatio || 1;
  pad.width = pad.clientWidth * ratio;
  pad.height = pad.clientHeight * ratio;
  ctx.scale(ratio, ratio);
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.lineWidth = penWidth;
  ctx.strokeStyle = ctx.fillStyle = "#111";
}

// position returns the point of a pointer event on the pad, in CSS pixels.
function position(e) {
  const r = pad.getBoundingClientRect();
  return [e.clientX - r.left - pad.clientLeft, e.clientY - r.top - pad.clientTop];
}

function penDown(e) {
  if (e.button !== 0) return;
  e.preventDefault();
  pad.setPointerCapture(e.pointerId);
  const [x, y] = position(e);
  current = [x, y];
  strokes.push(current);
  ctx.beginPath();
  ctx.arc(x, y, penWidth / 2, 0, 2 * Math.PI);
  ctx.fill();
  schedule();
}

function penMove(e) {
  if (!current) return;
  const [x, y] = position(e);
  const n = current.length;
  if (Math.hypot(x - current[n - 2], y - current[n - 1]) < 2) return;
  ctx.beginPath();
  ctx.moveTo(current[n - 2], current[n - 1]);
  ctx.lineTo(x, y);
  ctx.stroke();
  current.push(x, y);
  schedule();
}

function penUp() {
  if (!current) return;
  current = null;
  classify();
}

// schedule classifies the drawing at the next frame, once per frame.
function schedule() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(guard(() => {
    scheduled = false;
    classify();
  }));
}

// classify shows what the network reads in the drawing.
function classify() {
  if (!api) return;
  show(call(() => api.classify(strokes)));
}

// show shows r, a result of the Go program, or nothing for null.
function show(r) {
  const prediction = $("prediction");
  prediction.textContent = r ? r.digit : "\u00a0";
  prediction.dataset.digit = r ? r.digit : "";
  prediction.dataset.strokes = strokes.length;
  prediction.dataset.drawing = current ? "true" : "false";
  for (let d = 0; d < 10; d++) {
    const row = document.querySelectorAll(`#proba [data-digit="${d}"]`);
    const p = r ? r.proba[d] : 0;
    row.forEach((el) => {
      el.dataset.proba = p;
      el.classList.toggle("top", !!r && d === r.digit);
    });
    row[1].firstChild.style.width = `${100 * p}%`;
    row[2].textContent = r ? `${(100 * p).toFixed(1)} %` : "";
  }
  const cells = $("image").children;
  for (let i = 0; i < 64; i++) {
    const v = r ? r.image[i] : 0;
    const light = Math.round(255 * (1 - v / 16));
    cells[i].style.background = `rgb(${light}, ${light}, ${light})`;
    cells[i].style.color = v > 8 ? "#fff" : "#333";
    cells[i].textContent = r ? v : "";
    cells[i].dataset.value = v;
  }
}

// correct teaches the network that the drawing shows digit.
function correct(digit) {
  if (!api) return;
  if (strokes.length === 0) {
    $("status").textContent = "Draw a digit first, then click the digit it shows.";
    return;
  }
  const r = call(() => api.correct(strokes, digit));
  show(r.result);
  const status = $("status");
  status.dataset.corrections = Number(status.dataset.corrections) + 1;
  status.textContent = `Learned that this is a ${digit}: ${r.steps} Adam step${r.steps === 1 ? "" : "s"} ` +
    `on this drawing, its loss ${r.lossBefore.toFixed(3)} → ${r.lossAfter.toFixed(3)} ` +
    `(${r.totalSteps} steps since the page loaded).`;
  $("reset").disabled = false;
}

function clearPad() {
  strokes = [];
  current = null;
  ctx.clearRect(0, 0, pad.width, pad.height);
  show(null);
}

function forgetCorrections() {
  call(() => api.reset());
  $("status").textContent = "Back to the shipped weights.";
  $("status").dataset.corrections = 0;
  $("reset").disabled = true;
  if (strokes.length > 0) classify();
}

// buildResults makes a row per digit (its button, a bar, the probability)
// and the 64 cells of the image.
function buildResults() {
  const proba = $("proba");
  for (let d = 0; d < 10; d++) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = d;
    button.title = `teach the network that this is a ${d}`;
    button.disabled = true;
    button.addEventListener("click", guard(() => correct(d)));
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.appendChild(document.createElement("div"));
    const pct = document.createElement("div");
    pct.className = "pct";
    for (const el of [button, bar, pct]) {
      el.dataset.digit = d;
      proba.appendChild(el);
    }
  }
  for (let i = 0; i < 64; i++) $("image").appendChild(document.createElement("div"));
}

// ready is called by the Go program once the network is loaded.
function ready(goAPI, info) {
  api = goAPI;
  $("about").textContent =
    `${info.inputs} → 128 relu → ${info.outputs}, ${info.params} parameters ` +
    `(${(info.weightBytes / 1024).toFixed(0)} KB of weights), trained for ${info.epochs} epochs ` +
    `on ${info.trainImages} of the UCI digits: ${info.testCorrect} of the other ${info.testImages} right ` +
    `(${(100 * info.testCorrect / info.testImages).toFixed(1)} %).`;
  document.querySelectorAll("#proba button").forEach((b) => { b.disabled = false; });
  document.body.dataset.state = "ready";
  if (strokes.length > 0) classify();
}

// start runs main.wasm until it exits, which it does only on a failure.
async function start() {
  if (typeof Go !== "function") throw new Error("wasm_exec.js did not load: Go is not defined");
  const go = new Go();
  const stderr = [];
  const writeSync = globalThis.fs.writeSync;
  const decoder = new TextDecoder();
  globalThis.fs.writeSync = (fd, buf) => {
    if (fd === 2) stderr.push(decoder.decode(buf));
    return writeSync(fd, buf);
  };
  let exitCode = 0;
  go.exit = (code) => { exitCode = code; };
  globalThis.gradgenReady = guard(ready);
  globalThis.gradgenFailed = (message) => fail(`The network could not be loaded: ${message}`);
  const response = await fetch("main.wasm");
  if (!response.ok) throw new Error(`fetching main.wasm: HTTP ${response.status} ${response.statusText}`);
  const { instance } = await WebAssembly.instantiateStreaming(response, go.importObject);
  await go.run(instance);
  api = null;
  document.querySelectorAll("#proba button, #reset").forEach((b) => { b.disabled = true; });
  fail(`The Go program stopped (exit code ${exitCode}).${stderr.length ? "\n" + stderr.join("") : ""}`);
}

setUpPad();
buildResults();
show(null);
pad.addEventListener("pointerdown", guard(penDown));
pad.addEventListener("pointermove", guard(penMove));
pad.addEventListener("pointerup", guard(penUp));
pad.addEventListener("pointercancel", guard(penUp));
$("clear").addEventListener("click", guard(clearPad));
$("reset").addEventListener("click", guard(forgetCorrections));
start().catch((e) => fail(String((e && e.stack) || e)));
