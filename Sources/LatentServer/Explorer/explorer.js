// The latent-space explorer: a map of the test codes, live decoding under the pointer, a drawing pad, sliders
// per latent dimension, interpolations, samples and training curves. Plain JS against the server's API
// (/openapi.json); no libraries, so the page works offline.
'use strict';

const $ = (id) => document.getElementById(id);
const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
  '#bcbd22', '#17becf'];
// Class k's colour, as the CLI's plots: tab10, then tab20's light colours, then hues by the golden angle.
const light = ['#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2', '#c7c7c7', '#dbdb8d',
  '#9edae5'];
const colour = (k) => (k < 10 ? palette[k] : k < 20 ? light[k - 10] : `hsl(${(k * 137.508) % 360}, 70%, 42%)`);
const state = { model: null, map: null, box: null, marks: [], landed: null, busy: false, next: null, seed: 1 };

async function api(path, body) {
  const init = body === undefined ? {} :
    { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  const answer = await response.json();
  if (!response.ok) throw new Error(`${path}: ${answer.field ? answer.field + ': ' : ''}${answer.error}`);
  return answer;
}

function labels(n) {
  return state.model.classes > 0 ? { labels: Array(n).fill(Number($('label').value)) } : {};
}

function labelQuery() {
  return state.model.classes > 0 ? `&label=${$('label').value}` : '';
}

// A table model's values in its file's units (the API's) <-> as the model sees them (what is drawn).
function modelUnits(values) {
  const s = state.model.scaling;
  return s ? values.map((v, j) => (v - s.shift[j]) / s.scale[j]) : values;
}

function dataUnits(values) {
  const s = state.model.scaling;
  return s ? values.map((v, j) => v * s.scale[j] + s.shift[j]) : values;
}

// Draws one image (the API's values; pictures in [0, 1], channels interleaved) scaled up to fill `canvas`.
function drawPixels(canvas, values, height, width, channels) {
  const pixels = modelUnits(values);
  const small = document.createElement('canvas');
  small.width = width;
  small.height = height;
  const context = small.getContext('2d');
  const image = context.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    for (let k = 0; k < 3; k++) {
      const v = pixels[i * channels + (channels === 3 ? k : 0)];
      image.data[i * 4 + k] = Math.max(0, Math.min(255, Math.round(v * 255)));
    }
    image.data[i * 4 + 3] = 255;
  }
  context.putImageData(image, 0, 0);
  const target = canvas.getContext('2d');
  target.imageSmoothingEnabled = false;
  target.drawImage(small, 0, 0, canvas.width, canvas.height);
}

// Map coordinates <-> canvas pixels, with a margin around the points.
function toCanvas([x, y]) {
  const { x0, x1, y0, y1 } = state.box, size = $('map').width;
  return [(x - x0) / (x1 - x0) * size, (1 - (y - y0) / (y1 - y0)) * size];
}

function fromCanvas(px, py) {
  const { x0, x1, y0, y1 } = state.box, size = $('map').width;
  return [x0 + px / size * (x1 - x0), y0 + (1 - py / size) * (y1 - y0)];
}

function drawMap() {
  const canvas = $('map'), context = canvas.getContext('2d');
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  const { points, labels: marks } = state.map;
  points.forEach((p, i) => {
    const [cx, cy] = toCanvas(p);
    context.fillStyle = marks[i] >= 0 ? colour(marks[i]) : '#555';
    context.globalAlpha = 0.6;
    context.fillRect(cx - 1.5, cy - 1.5, 3, 3);
  });
  context.globalAlpha = 1;
  context.lineWidth = 2;
  state.marks.forEach((p) => {
    const [cx, cy] = toCanvas(p);
    context.strokeStyle = '#000';
    context.beginPath();
    context.arc(cx, cy, 6, 0, 2 * Math.PI);
    context.stroke();
  });
  if (state.landed) {
    const [cx, cy] = toCanvas(state.landed);
    context.strokeStyle = '#d00';
    context.lineWidth = 3;
    context.beginPath();
    context.moveTo(cx - 7, cy - 7); context.lineTo(cx + 7, cy + 7);
    context.moveTo(cx + 7, cy - 7); context.lineTo(cx - 7, cy + 7);
    context.stroke();
  }
  canvas.dataset.points = String(points.length);
}

// Decodes one request at a time; a newer point waiting replaces an older one, so the view keeps up.
async function decode(request) {
  if (state.busy) { state.next = request; return; }
  state.busy = true;
  try {
    const started = performance.now();
    const answer = await api('/decode', { ...request, ...labels(1) });
    const m = state.model.input;
    drawPixels($('decoded'), answer.pixels[0], m.height, m.width, m.channels);
    $('decoded').dataset.decodes = String(Number($('decoded').dataset.decodes) + 1);
    $('latency').textContent = `decoded in ${(performance.now() - started).toFixed(1)} ms (round trip)`;
    if (answer.codes) setSliders(answer.codes[0]);
    traversal();
  } catch (error) {
    $('latency').textContent = error.message;
  } finally {
    state.busy = false;
    if (state.next) { const request = state.next; state.next = null; decode(request); }
  }
}

function makeSliders(latent) {
  const box = $('sliders');
  for (let d = 0; d < latent; d++) {
    const label = document.createElement('label');
    label.innerHTML = `z${d} <input type="range" min="-4" max="4" step="0.01" value="0"><span>0.00</span>`;
    const input = label.querySelector('input');
    input.addEventListener('input', () => {
      label.querySelector('span').textContent = Number(input.value).toFixed(2);
      decode({ codes: [sliderCode()] });
    });
    box.appendChild(label);
  }
}

function sliderCode() {
  return [...$('sliders').querySelectorAll('input')].map((input) => Number(input.value));
}

function setSliders(code) {
  $('sliders').querySelectorAll('label').forEach((label, d) => {
    label.querySelector('input').value = code[d];
    label.querySelector('span').textContent = code[d].toFixed(2);
  });
}

async function showPNG(img, path, body) {
  const init = body === undefined ? {} :
    { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  if (!response.ok) { img.alt = (await response.json()).error; return; }
  if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(await response.blob());
}

function interpolate() {
  const [a, b] = state.marks;
  const label = state.model.classes > 0 ? { label: Number($('label').value) } : {};
  showPNG($('strip'), '/interpolate?format=png&columns=10&scale=2',
    { from_point: a, to_point: b, steps: 10, ...label });
}

// The traversals of the sliders' code (the decoded point), redrawn when the pointer rests.
function traversal() {
  if (!state.model.traversal) return;
  clearTimeout(state.traversalTimer);
  state.traversalTimer = setTimeout(() => {
    const label = state.model.classes > 0 ? { label: Number($('label').value) } : {};
    showPNG($('traversal'), '/traversal?format=png&columns=10&scale=1',
      { code: sliderCode(), steps: 10, range: 3, ...label }).then(() => {
      $('traversal').dataset.traversals = String(Number($('traversal').dataset.traversals || 0) + 1);
    });
  }, 250);
}

function samples() {
  showPNG($('samples'), `/sample?format=png&count=16&columns=8&scale=2&seed=${state.seed}${labelQuery()}`);
}

function setUpMap() {
  const canvas = $('map');
  const at = (event) => {
    const r = canvas.getBoundingClientRect();
    const px = (event.clientX - r.left) * canvas.width / r.width;
    return fromCanvas(px, (event.clientY - r.top) * canvas.height / r.height);
  };
  canvas.addEventListener('mousemove', (event) => decode({ points: [at(event)] }));
  canvas.addEventListener('click', (event) => {
    if (state.marks.length === 2) state.marks = [];
    state.marks.push(at(event));
    drawMap();
    if (state.marks.length === 2) interpolate();
  });
}

// The drawing pad: white strokes on black, or a dropped or chosen picture, read at the model's size for
// /reconstruct and /encode. The pad and the reconstruction take the model's aspect ratio.
function setUpPad() {
  const pad = $('pad'), context = pad.getContext('2d'), m = state.model.input;
  const height = Math.round(Math.min(448, Math.max(56, pad.width * m.height / m.width)));
  if (m.height > 1) for (const id of ['pad', 'reconstruction', 'decoded']) $(id).height = height;
  const clear = () => { context.fillStyle = '#000'; context.fillRect(0, 0, pad.width, pad.height); };
  clear();
  let last = null, timer = null;
  const at = (event) => {
    const r = pad.getBoundingClientRect();
    return [(event.clientX - r.left) * pad.width / r.width, (event.clientY - r.top) * pad.height / r.height];
  };
  pad.addEventListener('pointerdown', (event) => { last = at(event); pad.setPointerCapture(event.pointerId); });
  pad.addEventListener('pointermove', (event) => {
    if (!last) return;
    const p = at(event);
    context.strokeStyle = '#fff';
    context.lineWidth = pad.width / 12;
    context.lineCap = 'round';
    context.beginPath();
    context.moveTo(...last);
    context.lineTo(...p);
    context.stroke();
    last = p;
    if (!timer) timer = setTimeout(() => { timer = null; reconstructPad(); }, 60);
  });
  pad.addEventListener('pointerup', () => { last = null; reconstructPad(); });
  $('clear').addEventListener('click', () => { clear(); state.landed = null; if (state.map) drawMap(); });
  pad.addEventListener('dragover', (event) => { event.preventDefault(); pad.classList.add('dropping'); });
  pad.addEventListener('dragleave', () => pad.classList.remove('dropping'));
  pad.addEventListener('drop', (event) => {
    event.preventDefault();
    pad.classList.remove('dropping');
    if (event.dataTransfer.files.length > 0) padPicture(event.dataTransfer.files[0]);
  });
  $('picture').addEventListener('change', (event) => {
    if (event.target.files.length > 0) padPicture(event.target.files[0]);
  });
}

// A picture on the pad as the server reads an upload: transparency on white, scaled to cover, centre-cropped.
async function padPicture(file) {
  const pad = $('pad'), context = pad.getContext('2d');
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (error) {
    $('latency').textContent = `${file.name}: not a picture this browser can read`;
    return;
  }
  const scale = Math.max(pad.width / bitmap.width, pad.height / bitmap.height);
  const w = bitmap.width * scale, h = bitmap.height * scale;
  context.fillStyle = '#fff';
  context.fillRect(0, 0, pad.width, pad.height);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, (pad.width - w) / 2, (pad.height - h) / 2, w, h);
  bitmap.close();
  pad.dataset.pictures = String(Number(pad.dataset.pictures || 0) + 1);
  reconstructPad();
}

function padPixels() {
  const m = state.model.input, small = document.createElement('canvas');
  small.width = m.width;
  small.height = m.height;
  const context = small.getContext('2d');
  context.imageSmoothingEnabled = true;
  context.drawImage($('pad'), 0, 0, m.width, m.height);
  const rgba = context.getImageData(0, 0, m.width, m.height).data, out = [];
  for (let i = 0; i < m.width * m.height; i++) {
    if (m.channels === 1) out.push((rgba[i * 4] + rgba[i * 4 + 1] + rgba[i * 4 + 2]) / 765);
    else for (let k = 0; k < 3; k++) out.push(rgba[i * 4 + k] / 255);
  }
  return dataUnits(out);
}

async function reconstructPad() {
  const m = state.model.input, request = { pixels: [padPixels()], ...labels(1) };
  try {
    const [reconstruction, encoding] = await Promise.all([api('/reconstruct', request), api('/encode', request)]);
    drawPixels($('reconstruction'), reconstruction.pixels[0], m.height, m.width, m.channels);
    const canvas = $('reconstruction');
    canvas.dataset.reconstructions = String(Number(canvas.dataset.reconstructions) + 1);
    if (encoding.points && state.map) { state.landed = encoding.points[0]; drawMap(); }
  } catch (error) {
    $('latency').textContent = error.message;
  }
}

function drawCurves(metrics) {
  const canvas = $('curves'), context = canvas.getContext('2d');
  const series = [['train_loss', '#1f77b4'], ['test_loss', '#d62728']]
    .map(([key, colour]) => [key, colour, metrics.map((m) => m[key]).filter((v) => typeof v === 'number')]);
  const all = series.flatMap(([, , values]) => values);
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  if (all.length === 0) { context.fillStyle = '#666'; context.fillText('no metrics.jsonl', 10, 20); return; }
  const lo = Math.min(...all), hi = Math.max(...all), n = Math.max(2, metrics.length);
  const x = (i) => 40 + i / (n - 1) * (canvas.width - 60);
  const y = (v) => 10 + (hi - v) / (hi - lo || 1) * (canvas.height - 40);
  context.fillStyle = '#444';
  context.fillText(hi.toFixed(1), 2, 14);
  context.fillText(lo.toFixed(1), 2, canvas.height - 28);
  context.fillText(`epochs 1…${metrics.length}`, canvas.width / 2 - 30, canvas.height - 8);
  series.forEach(([key, colour, values], s) => {
    context.strokeStyle = colour;
    context.fillStyle = colour;
    context.beginPath();
    values.forEach((v, i) => (i === 0 ? context.moveTo(x(i), y(v)) : context.lineTo(x(i), y(v))));
    context.stroke();
    values.forEach((v, i) => context.fillRect(x(i) - 2, y(v) - 2, 4, 4));
    context.fillText(key, canvas.width - 80, 20 + 14 * s);
  });
}

/** A class as the user knows it: its number, and its name where the training data named classes. */
function className(k) {
  const name = state.model.data?.classes?.[k];
  return name === undefined ? `${k}` : `${k} ${name}`;
}

/** An element holding `text` as text (class names come from the user's files). */
function textElement(tag, text, attributes = {}) {
  const element = document.createElement(tag);
  element.textContent = text;
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
}

async function start() {
  const model = state.model = await api('/model');
  $('model-summary').textContent =
    `${model.kind} · latent ${model.latent} · ${model.input.width}×${model.input.height}×${model.input.channels}` +
    ` · ${model.epochs} epochs`;
  if (model.classes > 0) {
    $('label').replaceChildren(...[...Array(model.classes).keys()].map((k) =>
      textElement('option', className(k), { value: `${k}` })));
    $('label-picker').hidden = false;
    $('label').addEventListener('change', () => { samples(); decode({ codes: [sliderCode()] }); });
  }
  makeSliders(model.latent);
  // A table model's rows are drawn as a strip of values; there is nothing to draw by hand.
  if (model.input.height === 1) $('pad-panel').hidden = true;
  setUpPad();
  drawCurves(model.metrics);
  if (model.samples) {
    $('resample').addEventListener('click', () => { state.seed += 1; samples(); });
    samples();
  } else {
    $('resample').disabled = true;
  }
  if (model.map.method) {
    state.map = await api('/codes?limit=2000');
    $('map-method').textContent = state.map.method === 'pca' ? '(first two principal components)' : '(the codes)';
    const xs = state.map.points.map((p) => p[0]), ys = state.map.points.map((p) => p[1]);
    const pad = (lo, hi) => [lo - 0.05 * (hi - lo || 1), hi + 0.05 * (hi - lo || 1)];
    const [x0, x1] = pad(Math.min(...xs), Math.max(...xs)), [y0, y1] = pad(Math.min(...ys), Math.max(...ys));
    state.box = { x0, x1, y0, y1 };
    const classes = [...new Set(state.map.labels)].filter((k) => k >= 0).sort((a, b) => a - b);
    $('legend').replaceChildren(...classes.map((k) =>
      textElement('span', className(k), { style: `--colour: ${colour(k)}` })));
    drawMap();
    setUpMap();
    decode({ points: [[(x0 + x1) / 2, (y0 + y1) / 2]] });
  } else {
    $('map-method').textContent = model.map.problem;
    decode({ codes: [sliderCode()] });
  }
}

start().catch((error) => { $('model-summary').textContent = error.message; });
