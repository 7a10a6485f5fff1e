/* The look lab (issue 16): the photo arrives once as a V-Log/V-Gamut uint16 proxy; on every
   change the server sends only the look's 33-point LUT, which WebGL2 applies as a 3D texture
   with tetrahedral interpolation (the rule of lsquared's kernels/lut3d.py: corners ordered by
   the cell fractions, Kasson et al. 1995), then clips and rounds to 8 bits as develop does.
   The controls are built from /api/lab/schema (looks/schema.py), never written here. */
"use strict";

const main = document.getElementById("lab");
const csrf = main.dataset.csrf;
const source = JSON.parse(main.dataset.source || "{}");
const $ = (id) => document.getElementById(id);
const status = (text) => { $("status").textContent = text; };

const VERT = `#version 300 es
in vec2 p; void main() { gl_Position = vec4(p, 0.0, 1.0); }`;
const FRAG = `#version 300 es
precision highp float; precision highp int; precision highp usampler2D; precision highp usampler3D;
uniform usampler2D proxy; uniform usampler3D lutA; uniform usampler3D lutB;
uniform int n; uniform float split; uniform int height; uniform vec2 range;
out vec4 colour;
/* the LUT's nodes arrive as uint16 codes of [range.x, range.y] (X-Lut-Range) */
vec3 node(usampler3D t, int r, int g, int b) {
  return vec3(texelFetch(t, ivec3(b, g, r), 0).rgb) * ((range.y - range.x) / 65535.0) + range.x;
}
vec3 tetra(usampler3D t, vec3 v) {
  float n1 = float(n - 1);
  vec3 x = clamp(v, 0.0, 1.0) * n1;
  ivec3 i = min(ivec3(x), ivec3(n - 2));
  vec3 f = x - vec3(i);
  ivec3 a; ivec3 b;                     // the two middle corners: f_max axis, then f_mid axis
  if (f.r >= f.g) {
    if (f.g >= f.b)      { a = ivec3(1,0,0); b = ivec3(1,1,0); }
    else if (f.r >= f.b) { a = ivec3(1,0,0); b = ivec3(1,0,1); }
    else                 { a = ivec3(0,0,1); b = ivec3(1,0,1); }
  } else {
    if (f.b >= f.g)      { a = ivec3(0,0,1); b = ivec3(0,1,1); }
    else if (f.b >= f.r) { a = ivec3(0,1,0); b = ivec3(0,1,1); }
    else                 { a = ivec3(0,1,0); b = ivec3(1,1,0); }
  }
  float fmax = max(f.r, max(f.g, f.b)), fmin = min(f.r, min(f.g, f.b));
  float fmid = f.r + f.g + f.b - fmax - fmin;
  ivec3 c = i + a, d = i + b;
  return (1.0 - fmax) * node(t, i.r, i.g, i.b) + (fmax - fmid) * node(t, c.r, c.g, c.b)
       + (fmid - fmin) * node(t, d.r, d.g, d.b) + fmin * node(t, i.r + 1, i.g + 1, i.b + 1);
}
void main() {
  ivec2 xy = ivec2(gl_FragCoord.xy); xy.y = height - 1 - xy.y;
  vec3 v = vec3(texelFetch(proxy, xy, 0).rgb) / 65535.0;
  vec3 o;                                   // (an if, not ?:, so one table is read, not both)
  if (gl_FragCoord.x < split) o = tetra(lutB, v); else o = tetra(lutA, v);
  colour = vec4(floor(clamp(o, 0.0, 1.0) * 255.0 + 0.5) / 255.0, 1.0);   // develop's rounding
}`;

const lab = {
  schema: null, def: null, parent: "standard", before: null, undo: [], redo: [],
  latencies: [], parts: [], pending: null, inFlight: false, drawn: 0, gl: null, size: 33, imported: false,
  range: [-0.5, 1.5], histogramDue: false,
};
window.lab = lab;      // read by the browser test (latencies, drawn frames, pixels)

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (options.method && options.method !== "GET") headers["X-CSRF-Token"] = csrf;
  if (options.json !== undefined) { headers["Content-Type"] = "application/json"; options.body = JSON.stringify(options.json); }
  const r = await fetch(path, { credentials: "same-origin", ...options, headers });
  if (!r.ok) {
    let detail = r.statusText;
    try { detail = (await r.json()).detail || detail; } catch (e) { /* not JSON */ }
    throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return r;
}

/* ---- WebGL2 ---- */
function setupGL(canvas, w, h, pixels) {
  const gl = canvas.getContext("webgl2", { preserveDrawingBuffer: true, antialias: false });
  if (!gl) throw new Error("this browser has no WebGL2");
  canvas.width = w; canvas.height = h;
  const prog = gl.createProgram();
  for (const [type, src] of [[gl.VERTEX_SHADER, VERT], [gl.FRAGMENT_SHADER, FRAG]]) {
    const s = gl.createShader(type); gl.shaderSource(s, src); gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
    gl.attachShader(prog, s);
  }
  gl.linkProgram(prog); gl.useProgram(prog);
  const buf = gl.createBuffer(); gl.bindBuffer(gl.ARRAY_BUFFER, buf);
  gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 3, -1, -1, 3]), gl.STATIC_DRAW);
  const loc = gl.getAttribLocation(prog, "p"); gl.enableVertexAttribArray(loc);
  gl.vertexAttribPointer(loc, 2, gl.FLOAT, false, 0, 0);
  gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
  const tex = (unit, target) => {
    const t = gl.createTexture(); gl.activeTexture(gl.TEXTURE0 + unit); gl.bindTexture(target, t);
    for (const p of [gl.TEXTURE_MIN_FILTER, gl.TEXTURE_MAG_FILTER]) gl.texParameteri(target, p, gl.NEAREST);
    return t;
  };
  tex(0, gl.TEXTURE_2D);
  gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGB16UI, w, h, 0, gl.RGB_INTEGER, gl.UNSIGNED_SHORT, pixels);
  const u = (name) => gl.getUniformLocation(prog, name);
  gl.uniform1i(u("proxy"), 0); gl.uniform1i(u("lutA"), 1); gl.uniform1i(u("lutB"), 2);
  gl.uniform1i(u("height"), h);
  lab.u = { n: u("n"), split: u("split") };
  gl.uniform2f(u("range"), lab.range[0], lab.range[1]);
  gl.viewport(0, 0, w, h);
  lab.gl = gl; lab.w = w; lab.h = h;
  fit(); window.addEventListener("resize", fit);
}

/* the picture as large as the stage allows, its aspect kept (pixels are interpolated by the
   browser only for display; readPixels and the histogram see the proxy's own grid) */
function fit() {
  const stage = $("stage"), pad = 36;
  const scale = Math.min((stage.clientWidth - pad) / lab.w, (stage.clientHeight - pad) / lab.h);
  $("view").style.width = `${Math.floor(lab.w * scale)}px`;
  $("view").style.height = `${Math.floor(lab.h * scale)}px`;
}

/* a new LUT into its texture: allocated once (immutable storage), then only its texels are
   replaced (texSubImage3D), 33^3 RGB16UI, as the bytes came from the server */
const lutSizes = {};
function uploadLut(unit, table, n) {
  const gl = lab.gl;
  gl.activeTexture(gl.TEXTURE0 + unit);
  if (lutSizes[unit] !== n) {
    const t = gl.createTexture(); gl.bindTexture(gl.TEXTURE_3D, t);
    for (const p of [gl.TEXTURE_MIN_FILTER, gl.TEXTURE_MAG_FILTER]) gl.texParameteri(gl.TEXTURE_3D, p, gl.NEAREST);
    gl.texStorage3D(gl.TEXTURE_3D, 1, gl.RGB16UI, n, n, n);
    lutSizes[unit] = n;
  }
  gl.texSubImage3D(gl.TEXTURE_3D, 0, 0, 0, 0, n, n, n, gl.RGB_INTEGER, gl.UNSIGNED_SHORT, table);
  lab.size = n;
}

/* a LUT response (lab.py lut_response): uint16 codes, its size and range in the headers */
async function lutOf(r) {
  const range = (r.headers.get("X-Lut-Range") || "-0.5 1.5").split(" ").map(Number);
  if (range[0] !== lab.range[0] || range[1] !== lab.range[1]) throw new Error("unexpected LUT range " + range);
  return { table: new Uint16Array(await r.arrayBuffer()), n: +r.headers.get("X-Lut-Size") };
}

let holdBefore = false;
function draw() {
  const gl = lab.gl; if (!gl) return;
  gl.uniform1i(lab.u.n, lab.size);
  const split = holdBefore ? lab.w + 1 : $("split").checked ? lab.splitAt * lab.w : -1;
  gl.uniform1f(lab.u.split, split);
  gl.drawArrays(gl.TRIANGLES, 0, 3);
  lab.drawn += 1;
  $("splitline").hidden = !$("split").checked || holdBefore;
  $("splitline").style.left = `${lab.splitAt * 100}%`;
  // the histogram reads the picture back (a GPU sync, and a pass over every pixel): once the
  // frame with the new picture has been painted, not before, and once for any number of draws
  if (!lab.histogramDue) {
    lab.histogramDue = true;
    requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => { lab.histogramDue = false; histogram(); }, 0)));
  }
}

/* the drawn picture, top row first (for the histogram and the browser test) */
lab.pixels = function () {
  const gl = lab.gl, w = lab.w, h = lab.h, raw = new Uint8Array(w * h * 4);
  gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, raw);
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const s = ((h - 1 - y) * w + x) * 4, d = (y * w + x) * 3;
    out[d] = raw[s]; out[d + 1] = raw[s + 1]; out[d + 2] = raw[s + 2];
  }
  return out;
};

function histogram() {
  const gl = lab.gl, raw = new Uint8Array(lab.w * lab.h * 4);
  gl.readPixels(0, 0, lab.w, lab.h, gl.RGBA, gl.UNSIGNED_BYTE, raw);
  const bins = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
  const step = Math.max(1, Math.floor(raw.length / 4 / 200000)) * 4;
  for (let i = 0; i < raw.length; i += step) { bins[0][raw[i]]++; bins[1][raw[i + 1]]++; bins[2][raw[i + 2]]++; }
  const c = $("histogram"), ctx = c.getContext("2d");
  ctx.clearRect(0, 0, c.width, c.height);
  let top = 1;
  for (const b of bins) for (let i = 1; i < 255; i++) top = Math.max(top, b[i]);
  ctx.globalCompositeOperation = "lighter";
  ["#e5484d", "#46a758", "#3e63dd"].forEach((colour, k) => {
    ctx.fillStyle = colour;
    for (let i = 0; i < 256; i++) {
      const v = Math.sqrt(Math.min(1, bins[k][i] / top)) * c.height;   // sqrt: flat areas don't flatten the rest
      ctx.fillRect(i, c.height - v, 1, v);
    }
  });
  ctx.globalCompositeOperation = "source-over";
}

/* ---- LUTs: one request at a time, the newest change wins ---- */
async function fetchLut(definition) {
  const r = await api("/api/lab/lut", { method: "POST", json: { definition } });
  return { ...(await lutOf(r)), digest: r.headers.get("X-Look-Digest") };
}

function changed(t0) {
  const text = JSON.stringify(lab.def);
  if (text === lab.queued) return;       // a slider's "change" after its last "input": nothing new
  lab.queued = text;
  lab.pending = { def: JSON.parse(text), t0 };
  if (!lab.inFlight) pump();
}

async function pump() {
  lab.inFlight = true;
  while (lab.pending) {
    const { def, t0 } = lab.pending; lab.pending = null;
    try {
      const t1 = performance.now();
      const { table, n, digest } = await fetchLut(def);
      const t2 = performance.now();
      uploadLut(1, table, n);
      draw();
      const t3 = performance.now();
      $("digest").textContent = `look digest ${digest}`;
      status("");
      // the picture is on screen once the frame after the draw has been painted: the second
      // animation frame.  Timed beside the loop, which goes on to the newest change meanwhile
      requestAnimationFrame(() => {
        const t4 = performance.now();
        requestAnimationFrame(() => {
          const t5 = performance.now();
          lab.parts.push({ wait: t1 - (t0 ?? t1), lut: t2 - t1, draw: t3 - t2, frame: t4 - t3, painted: t5 - t4 });
          if (t0 !== undefined) lab.latencies.push(t5 - t0);
        });
      });
    } catch (e) { status(e.message); }
  }
  lab.inFlight = false;
}

async function setBefore() {
  const name = $("compare").value;
  try {
    let table, n;
    if (!name) ({ table, n } = lab.before);
    else {
      const look = await (await api(`/api/lab/looks/${encodeURIComponent(name)}`)).json();
      ({ table, n } = await fetchLut(look.definition));
    }
    uploadLut(2, table, n);
    $("splitleft").textContent = name || "before";
    draw();
  } catch (e) { status(e.message); }
}

/* ---- controls, built from the schema ---- */
function fmt(v) { return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3).replace(/\.?0+$/, "") || "0"; }

function hueValue(v) { return typeof v === "string" ? lab.schema.hue_names[v.toLowerCase()] ?? 0 : v; }

function paramControl(step, param, values, onInput) {
  const row = document.createElement("label");
  row.className = "lab-param"; row.title = param.doc;
  const name = document.createElement("span"); name.textContent = param.name.replace(/_/g, " ");
  row.append(name);
  const value = values[param.name] ?? param.default;
  if (param.kind === "choice") {
    const sel = document.createElement("select");
    for (const c of param.choices) { const o = new Option(c || "(default)", c); sel.append(o); }
    sel.value = value;
    sel.addEventListener("change", (e) => onInput(param.name, sel.value, e, true));
    row.append(sel);
  } else if (param.kind === "number" || param.kind === "hue") {
    const [lo, hi] = param.range;
    const input = document.createElement("input");
    input.type = "range"; input.min = lo; input.max = hi;
    input.step = 10 ** Math.floor(Math.log10(hi - lo)) / 1000;   // defaults lie on the grid
    input.value = param.kind === "hue" ? hueValue(value) : value;
    input.dataset.step = step; input.dataset.param = param.name;
    if (param.kind === "hue") input.className = "hue";
    const out = document.createElement("output"); out.textContent = typeof value === "string" ? value : fmt(+input.value);
    input.addEventListener("input", (e) => { out.textContent = fmt(+input.value); onInput(param.name, +input.value, e, false); });
    input.addEventListener("change", (e) => onInput(param.name, +input.value, e, true));
    input.addEventListener("dblclick", (e) => { input.value = param.kind === "hue" ? hueValue(param.default) : param.default; out.textContent = fmt(+input.value); onInput(param.name, param.default, e, true); });
    row.append(input, out);
    if (param.kind === "hue") {
      const names = document.createElement("select"); names.className = "lab-huename";
      names.append(new Option("°", ""));
      for (const n of Object.keys(lab.schema.hue_names)) names.append(new Option(n, n));
      if (typeof value === "string") names.value = value.toLowerCase();
      names.addEventListener("change", (e) => {
        if (!names.value) return;
        input.value = lab.schema.hue_names[names.value]; out.textContent = names.value;
        onInput(param.name, names.value, e, true);
      });
      input.addEventListener("input", () => { names.value = ""; });
      row.append(names);
    }
  } else {
    const input = document.createElement("input"); input.value = value; input.disabled = true;
    row.append(input);
  }
  return row;
}

function defaults(step) { return Object.fromEntries(step.params.map((p) => [p.name, p.default])); }

function buildSteps() {
  const box = $("steps"); box.replaceChildren();
  for (const step of lab.schema.steps) {
    if (!step.editable) continue;
    const card = document.createElement("section"); card.className = "lab-card lab-step";
    const head = document.createElement("div"); head.className = "lab-step-head";
    const on = document.createElement("input"); on.type = "checkbox"; on.dataset.toggle = step.key;
    const present = step.list ? (lab.def.hue || []).length > 0 : lab.def[step.key] !== undefined;
    on.checked = present;
    const title = document.createElement("h2"); title.textContent = step.title; title.title = step.doc;
    const reset = document.createElement("button"); reset.type = "button"; reset.textContent = "Reset";
    reset.className = "lab-reset"; reset.title = `the ${step.title} step's defaults`;
    head.append(on, title, reset);
    card.append(head);
    if (!step.colour) { const note = document.createElement("p"); note.className = "muted small"; note.textContent = "applied by develop, not in this preview (it depends on the pixel's place)"; card.append(note); }
    const body = document.createElement("div"); body.className = "lab-params"; body.hidden = !present;
    const entries = step.list ? (lab.def.hue || []) : [lab.def[step.key] || defaults(step)];
    entries.forEach((values, idx) => {
      const group = document.createElement("div"); group.className = "lab-entry";
      for (const param of step.params) {
        group.append(paramControl(step.key, param, values, (name, v, e, commit) => {
          edit(() => {
            const target = step.list ? lab.def.hue[idx] : (lab.def[step.key] ||= defaults(step));
            target[name] = v;
          }, e, commit);
        }));
      }
      if (step.list) {
        const rm = document.createElement("button"); rm.type = "button"; rm.textContent = "Remove"; rm.className = "lab-reset";
        rm.addEventListener("click", (e) => edit(() => { lab.def.hue.splice(idx, 1); if (!lab.def.hue.length) delete lab.def.hue; }, e, true, true));
        group.append(rm);
      }
      body.append(group);
    });
    if (step.list) {
      const add = document.createElement("button"); add.type = "button"; add.textContent = "Add a hue range";
      add.addEventListener("click", (e) => edit(() => { (lab.def.hue ||= []).push(defaults(step)); }, e, true, true));
      body.append(add);
    }
    card.append(body);
    on.addEventListener("change", (e) => edit(() => {
      if (on.checked) { if (step.list) lab.def.hue = [defaults(step)]; else lab.def[step.key] = defaults(step); }
      else delete lab.def[step.key];
    }, e, true, true));
    reset.addEventListener("click", (e) => edit(() => {
      if (step.list) { if (lab.def.hue) lab.def.hue = lab.def.hue.map(() => defaults(step)); }
      else if (lab.def[step.key]) lab.def[step.key] = defaults(step);
    }, e, true, true));
    box.append(card);
  }
}

let committed = null;
function edit(apply, event, commit, rebuild = false) {
  if (lab.imported) return;
  if (committed === null) committed = JSON.stringify(lab.def);
  apply();
  if (commit) {
    const now = JSON.stringify(lab.def);
    if (now !== committed) { lab.undo.push(committed); lab.redo = []; }
    committed = null;
    updateUndo();
  }
  if (rebuild) buildSteps();
  changed(event ? event.timeStamp : performance.now());
}

function updateUndo() { $("undo").disabled = !lab.undo.length; $("redo").disabled = !lab.redo.length; }

function restore(from, to) {
  if (!from.length) return;
  to.push(JSON.stringify(lab.def));
  lab.def = JSON.parse(from.pop());
  updateUndo(); buildSteps(); changed(performance.now());
}

async function startFrom(name) {
  const look = await (await api(`/api/lab/looks/${encodeURIComponent(name)}`)).json();
  lab.def = look.definition; lab.parent = name; lab.undo = []; lab.redo = []; lab.imported = false;
  lab.queued = JSON.stringify(lab.def);
  if (!look.builtin) { $("name").value = name; $("description").value = look.description || ""; }
  updateUndo(); exportsFor(look.builtin ? null : name);
  if (look.imported) {             // an imported LUT: shown as it is, no sliders
    lab.imported = true; $("steps").replaceChildren();
    const r = await api(`/api/lab/looks/${encodeURIComponent(name)}/lut`);
    lab.before = await lutOf(r);
  } else {
    buildSteps();
    lab.before = await fetchLut(look.definition);
  }
  uploadLut(1, lab.before.table, lab.before.n);
  await setBefore();
}

function exportsFor(name) {
  for (const a of $("exports").querySelectorAll("a")) {
    if (name) a.href = `/api/lab/looks/${encodeURIComponent(name)}/export?format=${a.dataset.format}`;
    else a.removeAttribute("href");
  }
  $("apply").disabled = !name;
}

async function refreshLooks(selected) {
  const looks = await (await api("/api/lab/looks")).json();
  for (const sel of [$("start"), $("compare")]) {
    const keep = sel === $("start") ? selected : sel.value;
    sel.replaceChildren(...(sel === $("compare") ? [new Option("before", "")] : []));
    const gb = document.createElement("optgroup"); gb.label = "built-in";
    looks.builtin.forEach((n) => gb.append(new Option(n, n)));
    const gl = document.createElement("optgroup"); gl.label = "my looks";
    looks.library.forEach((l) => gl.append(new Option(l.name, l.name)));
    sel.append(gb); if (looks.library.length) sel.append(gl);
    sel.value = keep;
  }
}

async function save() {
  const name = $("name").value.trim();
  if (!name) { status("give the look a name"); $("name").focus(); return; }
  if (lab.imported) { status("an imported LUT is kept by importing it with a name; pick a look to edit"); return; }
  try {
    const body = { definition: lab.def, parent: lab.parent === name ? (await parentOf(name)) : lab.parent, description: $("description").value };
    await api(`/api/lab/looks/${encodeURIComponent(name)}`, { method: "PUT", json: body });
    await refreshLooks(lab.parent); exportsFor(name);
    status(`saved '${name}' (inherits ${body.parent})`);
    lab.saved = name;
  } catch (e) { status(e.message); }
}

async function parentOf(name) { return (await (await api(`/api/lab/looks/${encodeURIComponent(name)}`)).json()).parent || "standard"; }

async function openSource() {
  if (!source.photo && !source.raw) {
    $("rawform").classList.remove("hidden"); $("picture").hidden = true; status("");
    $("rawfile").addEventListener("change", async () => {
      const f = $("rawfile").files[0]; if (!f) return;
      status(`uploading ${f.name}…`);
      try {
        const r = await api("/api/lab/raws", { method: "POST", body: f });
        location.search = `?raw=${(await r.json()).raw}`;
      } catch (e) { status(e.message); }
    });
    return false;
  }
  const q = source.photo ? `photo=${source.photo}` : `raw=${source.raw}`;
  const r = await api(`/api/lab/proxy?${q}`);
  const w = +r.headers.get("X-Width"), h = +r.headers.get("X-Height");
  setupGL($("view"), w, h, new Uint16Array(await r.arrayBuffer()));
  return true;
}

async function init() {
  lab.splitAt = 0.5;
  try {
    lab.schema = await (await api("/api/lab/schema")).json();
    if (!(await openSource())) return;
    await refreshLooks(main.dataset.look);
    await startFrom(main.dataset.look);
    status("");
    lab.ready = true;
  } catch (e) { status(e.message); return; }
  $("start").addEventListener("change", () => startFrom($("start").value).catch((e) => status(e.message)));
  $("compare").addEventListener("change", setBefore);
  $("split").addEventListener("change", draw);
  $("undo").addEventListener("click", () => restore(lab.undo, lab.redo));
  $("redo").addEventListener("click", () => restore(lab.redo, lab.undo));
  $("save").addEventListener("click", save);
  $("apply").addEventListener("click", async () => {
    try {
      const r = await (await api(`/api/lab/looks/${encodeURIComponent(lab.saved || $("name").value)}/apply`, { method: "POST", json: { album: +$("album").value } })).json();
      status(`album re-rendering ${r.rerendering} photo(s) in the look`);
    } catch (e) { status(e.message); }
  });
  $("importfile").addEventListener("change", async () => {
    const f = $("importfile").files[0]; if (!f) return;
    try {
      const keep = $("name").value.trim();
      const q = `name=${encodeURIComponent(f.name)}` + (keep ? `&save=${encodeURIComponent(keep)}` : "");
      const r = await api(`/api/lab/import?${q}`, { method: "POST", body: f });
      const { table, n } = await lutOf(r); uploadLut(1, table, n);
      lab.imported = true; $("steps").replaceChildren(); draw();
      if (keep) { await refreshLooks(keep); exportsFor(keep); lab.saved = keep; }
      status(keep ? `imported ${f.name} into your library as '${keep}'` : `showing ${f.name}; give a name first to keep it`);
    } catch (e) { status(e.message); }
  });
  const picture = $("picture");
  const moveSplit = (e) => { const b = $("view").getBoundingClientRect(); lab.splitAt = Math.min(1, Math.max(0, (e.clientX - b.left) / b.width)); draw(); };
  picture.addEventListener("pointerdown", (e) => { picture.setPointerCapture(e.pointerId); moveSplit(e); });
  picture.addEventListener("pointermove", (e) => { if (picture.hasPointerCapture(e.pointerId)) moveSplit(e); });
  document.addEventListener("keydown", (e) => {
    if (e.target.matches("input:not([type=range]), select")) return;
    if (e.key === "\\" && !holdBefore) { holdBefore = true; draw(); }
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") { e.preventDefault(); e.shiftKey ? restore(lab.redo, lab.undo) : restore(lab.undo, lab.redo); }
  });
  document.addEventListener("keyup", (e) => { if (e.key === "\\") { holdBefore = false; draw(); } });
}

init();
