// lsquared share: what the owner's album page and the shared gallery both do live.
// An EventSource on the album's stream (it resumes by itself, sending Last-Event-ID), and
// for each photo event the photo's tile fetched as HTML (rendered by the server's template,
// so escaping happens in one place) and put in the grid in upload order, without a reload.
"use strict";

window.lsqLive = function (options) {
  // options: grid (element), streamUrl, tileUrl(id), tileSelector, dropFailed, onChange(),
  //          onTile(node, old), onGone(id), onAlbum(data), onState("live" | "retrying" | "closed")
  const grid = options.grid;
  // one chain per photo (its events apply in order; photos do not wait for each other), and
  // at most one refresh waiting per photo: it fetches the newest state anyway
  const chains = new Map(), waiting = new Set();

  function schedule(id) {
    id = Number(id);
    if (waiting.has(id)) return;
    waiting.add(id);
    const run = () => { waiting.delete(id); return refresh(id); };
    const chain = (chains.get(id) || Promise.resolve()).then(run).catch(() => {});
    chains.set(id, chain);
    chain.then(() => { if (chains.get(id) === chain) chains.delete(id); });
  }

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

  // when a shown picture is replaced (preview -> develop), wait (at most 1 s) until the new one
  // is decoded, so the swap does not flash the placeholder
  function ready(node, old) {
    const img = node.querySelector("img.photo");
    if (!img || !img.decode || !old || !old.querySelector("img.photo")) return Promise.resolve();
    img.loading = "eager";
    return Promise.race([img.decode().catch(() => {}), new Promise(r => setTimeout(r, 1000))]);
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
    await ready(node, old);
    const current = byId(id);
    if (current) current.replaceWith(node); else insertInOrder(node);
    if (options.onTile) options.onTile(node, current);
    options.onChange();
  }

  function handle(data) {
    if (data.type === "album") { if (options.onAlbum) options.onAlbum(data); return; }
    if (data.photo_id == null) return;
    if (data.type === "deleted" || (data.type === "failed" && options.dropFailed)) { remove(data.photo_id); return; }
    schedule(data.photo_id);
  }

  const source = new EventSource(options.streamUrl);
  // CONNECTING after an error: the browser retries by itself; CLOSED: the server refused the
  // stream (the link was revoked or expired), nothing more will come
  source.onopen = () => options.onState && options.onState("live");
  source.onerror = () => options.onState &&
    options.onState(source.readyState === EventSource.CLOSED ? "closed" : source.readyState === EventSource.OPEN ? "live" : "retrying");
  source.onmessage = (message) => {
    let data;
    try { data = JSON.parse(message.data); } catch (e) { return; }
    handle(data);
  };
  return { refresh: schedule, source: source };
};
