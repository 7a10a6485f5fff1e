// lsquared album page (owner): upload by drag and drop with progress (XMLHttpRequest to the
// JSON API, the file as the request body), live photo states, look files, copy a new link.
"use strict";

(function () {
  const root = document.getElementById("album");
  if (!root) return;
  const albumId = root.dataset.album;
  const csrf = root.dataset.csrf;
  const limit = Number(root.dataset.limit);
  const grid = document.getElementById("photos");
  const $ = (id) => document.getElementById(id);

  function counted() {
    const tiles = Array.from(grid.querySelectorAll(".otile:not([data-gone])"));
    const states = ["waiting", "preview", "developed", "failed"];
    const parts = [tiles.length + (tiles.length === 1 ? " photo" : " photos")];
    for (const s of states) {
      const n = tiles.filter(t => t.classList.contains("state-" + s)).length;
      if (n) parts.push(n + " " + s);
    }
    $("album-counts").textContent = parts.join(" · ");
    $("no-photos").classList.toggle("hidden", tiles.length > 0);
  }

  const live = window.lsqLive({
    grid: grid,
    streamUrl: "/albums/" + albumId + "/events?after=" + encodeURIComponent(root.dataset.lastEvent || "0"),
    tileUrl: (id) => "/albums/" + albumId + "/tiles/" + id,
    tileSelector: ".otile",
    dropFailed: false,
    onChange: counted,
    onAlbum: (data) => { if (data.title) $("album-title").textContent = data.title; },
  });

  // --- upload ----------------------------------------------------------------------------------
  const list = $("uploads");
  const pending = [];
  let busy = false;

  function humanSize(n) {
    return n >= 1 << 30 ? (n / (1 << 30)).toFixed(1) + " GB" : n >= 1 << 20 ? (n / (1 << 20)).toFixed(1) + " MB"
      : Math.max(1, Math.round(n / 1024)) + " KB";
  }

  function row(file) {
    const li = document.createElement("li");
    li.className = "upload";
    const name = document.createElement("span");
    name.className = "uname";
    name.textContent = file.name;
    const state = document.createElement("span");
    state.className = "ustate muted";
    state.textContent = "Waiting · " + humanSize(file.size);
    const bar = document.createElement("progress");
    bar.max = 1; bar.value = 0;
    li.append(name, state, bar);
    list.append(li);
    return { li: li, state: state, bar: bar };
  }

  function enqueue(files) {
    for (const file of files) {
      const ui = row(file);
      if (file.size > limit) {
        ui.li.classList.add("failed");
        ui.state.textContent = "Larger than the upload limit (" + humanSize(limit) + ")";
        continue;
      }
      pending.push({ file: file, ui: ui });
    }
    next();
  }

  function next() {
    if (busy || !pending.length) return;
    busy = true;
    const { file, ui } = pending.shift();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/albums/" + albumId + "/photos?name=" + encodeURIComponent(file.name));
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      ui.bar.value = e.loaded / e.total;
      ui.state.textContent = Math.round(100 * e.loaded / e.total) + " % of " + humanSize(e.total);
    };
    xhr.onload = () => {
      const body = xhr.response || {};
      if (xhr.status === 201 || xhr.status === 200) {
        ui.bar.value = 1;
        ui.li.classList.add("done");
        ui.state.textContent = body.duplicate ? "Already in the album" : "Uploaded · developing";
        live.refresh(body.id);
        setTimeout(() => ui.li.remove(), 4000);
      } else {
        ui.li.classList.add("failed");
        ui.state.textContent = xhr.status === 401 || xhr.status === 403 ? "Your session has ended: reload the page and log in again"
          : (body && typeof body.detail === "string") ? body.detail : "Upload refused (" + xhr.status + ")";
      }
      busy = false;
      next();
    };
    xhr.onerror = () => {
      ui.li.classList.add("failed");
      ui.state.textContent = "Connection lost; try again";
      busy = false;
      next();
    };
    ui.state.textContent = "Uploading…";
    xhr.send(file);
  }

  const zone = $("dropzone");
  const input = $("file-input");
  input.addEventListener("change", () => { enqueue(Array.from(input.files)); input.value = ""; });
  let depth = 0;
  document.addEventListener("dragenter", (e) => { if (e.dataTransfer && Array.from(e.dataTransfer.types).includes("Files")) { depth++; zone.classList.add("over"); } });
  document.addEventListener("dragleave", () => { depth = Math.max(0, depth - 1); if (!depth) zone.classList.remove("over"); });
  document.addEventListener("dragover", (e) => { e.preventDefault(); });
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    depth = 0;
    zone.classList.remove("over");
    if (e.dataTransfer && e.dataTransfer.files.length) enqueue(Array.from(e.dataTransfer.files));
  });

  // --- delete a photo without leaving the page (the form still works without script) ---------
  grid.addEventListener("submit", async (e) => {
    const form = e.target.closest(".delete-photo");
    if (!form) return;
    e.preventDefault();
    const id = form.querySelector('[name="photo_id"]').value;
    const r = await fetch("/api/photos/" + id, { method: "DELETE", headers: { "X-CSRF-Token": csrf } });
    if (r.ok) live.refresh(id);
  });

  // --- a look file (.cube / .vlt) -----------------------------------------------------------
  const lookFile = $("look-file");
  lookFile.addEventListener("change", async () => {
    const file = lookFile.files[0];
    if (!file) return;
    const status = $("look-status");
    status.textContent = "Uploading " + file.name + "…";
    const r = await fetch("/api/albums/" + albumId + "/look?name=" + encodeURIComponent(file.name), {
      method: "POST", headers: { "X-CSRF-Token": csrf, "Content-Type": "application/octet-stream" }, body: file,
    });
    const body = await r.json().catch(() => ({}));
    if (r.ok) {
      status.textContent = "Look applied; re-rendering " + body.rerendering + " photos.";
      setTimeout(() => location.reload(), 800);
    } else {
      status.textContent = body.detail || ("Refused (" + r.status + ")");
      status.className = "small error-text";
    }
    lookFile.value = "";
  });

  // --- copy a new share link ------------------------------------------------------------------
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", async () => {
      const field = $(button.dataset.copy);
      try { await navigator.clipboard.writeText(field.value); } catch (e) { field.select(); document.execCommand("copy"); }
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = "Copy"; }, 1500);
    });
  }

  counted();
})();
