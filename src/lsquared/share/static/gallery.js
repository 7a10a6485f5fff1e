// lsquared shared gallery: the full-screen viewer (keys, swipe), favourites under a typed
// name, and live updates.  Without this script the page is a plain gallery of links.
"use strict";

(function () {
  const grid = document.getElementById("grid");
  if (!grid) return;
  const base = "/s/" + grid.dataset.token;
  const $ = (id) => document.getElementById(id);
  const tiles = () => Array.from(grid.querySelectorAll(".tile:not([data-gone])"))
    .filter(t => !grid.classList.contains("only-favs") || t.classList.contains("is-fav"));

  // --- layout: a tile grows with its picture's aspect ratio, so rows keep proportions -----
  function shape(tile) {
    const w = Number(tile.dataset.w), h = Number(tile.dataset.h);
    if (w && h) tile.style.flexGrow = String(w / h);
  }

  function counted() {
    const n = grid.querySelectorAll(".tile:not([data-gone])").length;
    const count = $("count");
    count.textContent = n + (n === 1 ? " photo" : " photos");
    count.dataset.count = String(n);
    $("empty").classList.toggle("hidden", n > 0);
  }

  // --- favourites --------------------------------------------------------------------------
  const NAME_KEY = "lsquared.viewer";
  let viewerName = localStorage.getItem(NAME_KEY) || "";
  let favourites = new Set();
  let pendingFavourite = null;

  function paintFavourites() {
    for (const t of grid.querySelectorAll(".tile")) {
      const on = favourites.has(Number(t.dataset.id));
      t.classList.toggle("is-fav", on);
      const button = t.querySelector(".fav");
      button.hidden = false;
      button.setAttribute("aria-pressed", String(on));
    }
    const filter = $("fav-filter");
    filter.hidden = favourites.size === 0 && !grid.classList.contains("only-favs");
    $("fav-count").textContent = favourites.size ? String(favourites.size) : "";
    if (viewer.open) viewer.paint();
  }

  async function loadFavourites() {
    if (!viewerName) { paintFavourites(); return; }
    const r = await fetch(base + "/favourites?viewer=" + encodeURIComponent(viewerName), { cache: "no-store" });
    if (r.ok) favourites = new Set((await r.json()).photos);
    paintFavourites();
  }

  async function toggleFavourite(id) {
    if (!viewerName) {
      pendingFavourite = id;
      $("viewer-name").value = "";
      $("name-dialog").showModal();
      return;
    }
    const on = !favourites.has(id);
    const r = await fetch(base + "/favourites", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ photo_id: id, viewer: viewerName, on: on }),
    });
    if (r.ok) favourites = new Set((await r.json()).photos);
    paintFavourites();
  }

  $("name-dialog").addEventListener("close", () => {
    const name = $("viewer-name").value.trim();
    if ($("name-dialog").returnValue === "ok" && name) {
      viewerName = name;
      localStorage.setItem(NAME_KEY, name);
      const id = pendingFavourite;
      pendingFavourite = null;
      loadFavourites().then(() => { if (id !== null && !favourites.has(id)) toggleFavourite(id); });
    }
  });
  $("fav-filter").addEventListener("click", () => {
    const only = grid.classList.toggle("only-favs");
    $("fav-filter").setAttribute("aria-pressed", String(only));
    paintFavourites();
  });

  // --- the viewer ----------------------------------------------------------------------------
  const viewer = {
    open: false,
    id: null,
    el: $("viewer"),
    stage: $("viewer-stage"),

    current() { return grid.querySelector('.tile[data-id="' + this.id + '"]'); },

    // the open photo is in the address (#p<id>): Back closes the viewer, a link opens it
    show(id, fromHistory) {
      this.id = Number(id);
      if (!this.open) {
        this.open = true;
        this.el.hidden = false;
        document.body.style.overflow = "hidden";
        this.returnFocus = document.activeElement;
        $("viewer-close").focus();
        if (!fromHistory) history.pushState({ lsqViewer: true }, "", "#p" + this.id);
      } else {
        history.replaceState({ lsqViewer: true }, "", "#p" + this.id);
      }
      this.render();
    },

    close(fromHistory) {
      if (!this.open) return;
      this.open = false;
      this.el.hidden = true;
      this.stage.replaceChildren();
      document.body.style.overflow = "";
      if (this.returnFocus) this.returnFocus.focus();
      if (!fromHistory && history.state && history.state.lsqViewer) history.back();
    },

    step(delta) {
      const list = tiles();
      const i = list.indexOf(this.current());
      const next = list[i + delta];
      if (next) this.show(next.dataset.id);
    },

    render() {
      const tile = this.current();
      if (!tile) { this.close(); return; }
      const d = tile.dataset;
      this.stage.replaceChildren();
      if (d.video) {
        const video = document.createElement("video");
        Object.assign(video, { controls: true, autoplay: true, playsInline: true, poster: d.poster, src: d.video });
        this.stage.append(video);
      } else {
        // the thumbnail the grid already shows, sharp picture on top once it has loaded
        const low = tile.querySelector("img.photo") || tile.querySelector("img.ph");
        const img = document.createElement("img");
        img.alt = d.name || "";
        img.width = Number(d.w); img.height = Number(d.h);
        img.src = low ? (low.currentSrc || low.src) : "";
        img.className = "loading";
        img.draggable = false;
        this.stage.append(img);
        if (d.web) {
          const picture = webPicture(d);
          const id = this.id;
          picture.lastChild.decode().catch(() => {}).then(() => {
            if (this.id === id && this.open) img.replaceWith(picture);
          });
        }
      }
      this.paint();
      // fetch the neighbours' web size ahead (in the format the browser picks), so stepping is instant
      const list = tiles(), i = list.indexOf(tile);
      this.ahead = [list[i + 1], list[i - 1]].filter(n => n && n.dataset.web).map(n => webPicture(n.dataset));
    },

    paint() {
      const tile = this.current();
      if (!tile) return;
      const d = tile.dataset, list = tiles(), i = list.indexOf(tile);
      $("viewer-pos").textContent = (i + 1) + " / " + list.length;
      $("viewer-title").textContent = d.name || "";
      $("viewer-exif").textContent = d.exif || "";
      const download = $("viewer-download");
      const file = d.full || (grid.dataset.download === "1" ? d.video : null);
      download.hidden = !file;
      download.href = file || "#";
      const original = $("viewer-original");
      original.hidden = !d.original;
      original.href = d.original || "#";
      const fav = $("viewer-fav");
      fav.setAttribute("aria-pressed", String(favourites.has(Number(d.id))));
      $("viewer-prev").disabled = i <= 0;
      $("viewer-next").disabled = i >= list.length - 1;
    },
  };

  // the 2048-pixel picture as <picture>: AVIF or WebP where offered and taken, JPEG otherwise
  function webPicture(d) {
    const picture = document.createElement("picture");
    for (const [type, url] of [["image/avif", d.webAvif], ["image/webp", d.webWebp]]) {
      if (!url) continue;
      const source = document.createElement("source");
      source.type = type;
      source.srcset = url;
      picture.append(source);
    }
    const img = document.createElement("img");
    img.alt = d.name || "";
    img.width = Number(d.w); img.height = Number(d.h);
    img.draggable = false;
    img.src = d.web;
    picture.append(img);
    return picture;
  }

  grid.addEventListener("click", (e) => {
    const fav = e.target.closest(".fav");
    if (fav) { toggleFavourite(Number(fav.closest(".tile").dataset.id)); return; }
    const frame = e.target.closest(".frame");
    if (!frame || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    viewer.show(frame.closest(".tile").dataset.id);
  });
  $("viewer-close").addEventListener("click", () => viewer.close());
  $("viewer-prev").addEventListener("click", () => viewer.step(-1));
  $("viewer-next").addEventListener("click", () => viewer.step(1));
  $("viewer-fav").addEventListener("click", () => toggleFavourite(viewer.id));
  document.addEventListener("keydown", (e) => {
    if (!viewer.open || $("name-dialog").open) return;
    if (e.key === "ArrowLeft") { viewer.step(-1); e.preventDefault(); }
    else if (e.key === "ArrowRight") { viewer.step(1); e.preventDefault(); }
    else if (e.key === "Escape") { viewer.close(); e.preventDefault(); }
    else if (e.key === "f" || e.key === "F") toggleFavourite(viewer.id);
  });

  // swipe: a mostly horizontal drag of 50 px or more steps (pointer events cover touch and pen)
  let start = null;
  viewer.stage.addEventListener("pointerdown", (e) => { start = { x: e.clientX, y: e.clientY }; });
  viewer.stage.addEventListener("pointerup", (e) => {
    if (!start) return;
    const dx = e.clientX - start.x, dy = e.clientY - start.y;
    start = null;
    if (Math.abs(dx) > 50 && Math.abs(dx) > 1.5 * Math.abs(dy)) viewer.step(dx < 0 ? 1 : -1);
  });
  viewer.stage.addEventListener("pointercancel", () => { start = null; });
  viewer.el.addEventListener("click", (e) => { if (e.target === viewer.stage) viewer.close(); });

  // --- live ----------------------------------------------------------------------------------
  grid.querySelectorAll(".tile").forEach(shape);
  const liveState = $("live");
  window.lsqLive({
    grid: grid,
    streamUrl: base + "/events?after=" + encodeURIComponent(grid.dataset.lastEvent || "0"),
    tileUrl: (id) => base + "/tile/" + id,
    tileSelector: ".tile",
    dropFailed: true,
    onChange: () => { counted(); paintFavourites(); },
    onTile: (node) => {
      shape(node);
      if (viewer.open && Number(node.dataset.id) === viewer.id) viewer.render();
    },
    onGone: (id) => {
      if (viewer.open && Number(id) === viewer.id) {
        const list = tiles(), i = list.indexOf(viewer.current());
        const other = list[i + 1] || list[i - 1];
        if (other) viewer.show(other.dataset.id); else viewer.close();
      }
    },
    onAlbum: (data) => {
      if (data.title) { $("album-title").textContent = data.title; document.title = data.title; }
    },
    onState: (state) => {
      liveState.hidden = false;
      liveState.classList.toggle("off", state !== "live");
      liveState.textContent = { live: "Live", retrying: "Reconnecting…", closed: "Not updating: reload the page" }[state];
    },
  });
  window.addEventListener("popstate", () => {
    const m = location.hash.match(/^#p(\d+)$/);
    if (m && grid.querySelector('.tile[data-id="' + m[1] + '"]')) viewer.show(m[1], true); else viewer.close(true);
  });
  const opened = location.hash.match(/^#p(\d+)$/);
  if (opened && grid.querySelector('.tile[data-id="' + opened[1] + '"]')) {
    history.replaceState(null, "", location.pathname + location.search);
    viewer.show(opened[1]);
  }
  loadFavourites();
})();
