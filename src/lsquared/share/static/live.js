// lsquared share: what the owner's album page and the shared gallery both do live.
// An EventSource on the album's stream (it resumes by itself, sending Last-Event-ID), and
// for each photo event the photo's tile fetched as HTML (rendered by the server's template,
// so escaping happens in one place) and put in the grid in upload order, without a reload.
"use strict";

window.lsqLive = function (options) {
  // options: grid (element), streamUrl, tileUrl(id), tileSelector, onChange(), onTile(node, old),
  //          onGone(id), onAlbum(data), onState(connected)
  const grid = options.grid;
  let queue = Promise.resolve();

  function byId(id) { return grid.querySelector(options.tileSelector + '[data-id="' + id + '"]'); }

  function insertInOrder(node) {
    const id = Number(node.dataset.id);
    const later = Array.from(grid.querySelectorAll(options.tileSelector)).find(t => Number(t.dataset.id) > id);
    grid.insertBefore(node, later || null);
  }

  function remove(id) {
    const old = byId(id);
    if (!old) return;
    old.classList.add("gone");
    old.dataset.gone = "1";
    setTimeout(() => { old.remove(); options.onChange(); }, 350);
    if (options.onGone) options.onGone(id);
  }

  // wait (at most 1.5 s) until the new tile's picture is decoded, so swapping does not flash
  function ready(node) {
    const img = node.querySelector("img.photo");
    if (!img || !img.decode) return Promise.resolve();
    img.loading = "eager";
    return Promise.race([img.decode().catch(() => {}), new Promise(r => setTimeout(r, 1500))]);
  }

  async function refresh(id) {
    const response = await fetch(options.tileUrl(id), { credentials: "same-origin", cache: "no-store" });
    if (response.status === 404) { remove(id); return; }
    if (!response.ok) return;
    const template = document.createElement("template");
    template.innerHTML = (await response.text()).trim();
    const node = template.content.firstElementChild;
    if (!node) return;
    const old = byId(id);
    if (old && old.dataset.version === node.dataset.version && !old.dataset.gone) return;
    await ready(node);
    const current = byId(id);
    if (current) current.replaceWith(node); else insertInOrder(node);
    if (options.onTile) options.onTile(node, current);
    options.onChange();
  }

  function handle(data) {
    if (data.type === "album") { if (options.onAlbum) options.onAlbum(data); return; }
    if (data.photo_id == null) return;
    if (data.type === "deleted" || (data.type === "failed" && options.dropFailed)) { remove(data.photo_id); return; }
    queue = queue.then(() => refresh(data.photo_id)).catch(() => {});
  }

  const source = new EventSource(options.streamUrl);
  source.onopen = () => options.onState && options.onState(true);
  source.onerror = () => options.onState && options.onState(source.readyState === EventSource.OPEN);
  source.onmessage = (message) => {
    let data;
    try { data = JSON.parse(message.data); } catch (e) { return; }
    handle(data);
  };
  return { refresh: (id) => { queue = queue.then(() => refresh(id)).catch(() => {}); }, source: source };
};
