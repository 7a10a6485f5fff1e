"""The batch's contact sheet: one self-contained HTML file (thumbnails embedded as data: URLs,
no scripts, no external resources) with each picture's name, key EXIF, the time it took and
the failures highlighted at the top.  It is built from the manifest, so files skipped as up
to date appear with the thumbnail of the run that made them.
"""

from __future__ import annotations

import base64
import html
import time
from pathlib import Path

from .manifest import Manifest
from .plan import Item
from .runner import Summary

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#1c1c1e;color:#e5e5e7}
header{padding:20px 28px;background:#2c2c2e;border-bottom:1px solid #3a3a3c}
h1{font-size:20px;margin:0 0 6px}
.stats{color:#aeaeb2}.stats b{color:#fff}
.fail-list{margin:16px 28px;padding:12px 16px;background:#3b1518;border:1px solid #ff453a;border-radius:8px}
.fail-list h2{font-size:15px;margin:0 0 8px;color:#ff6961}
.fail-list li{font-family:ui-monospace,monospace;font-size:12px;margin:3px 0;word-break:break-all}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:16px;padding:20px 28px}
.card{background:#2c2c2e;border-radius:8px;overflow:hidden;border:1px solid #3a3a3c}
.card.failed{border:2px solid #ff453a;background:#3b1518}
.thumb{height:180px;display:flex;align-items:center;justify-content:center;background:#111}
.thumb img{max-width:100%;max-height:180px}
.thumb .x{color:#ff453a;font-size:44px;font-weight:700}
.meta{padding:8px 10px}
.name{font-weight:600;word-break:break-all}
.src{color:#8e8e93;font-size:12px;word-break:break-all}
.exif{font-size:12px;color:#c7c7cc;margin-top:4px}
.time{font-size:12px;color:#aeaeb2;margin-top:4px}
.skip{font-size:11px;color:#30d158}
.err{font-family:ui-monospace,monospace;font-size:11px;color:#ff8a80;margin-top:4px;word-break:break-all}
"""


def _exposure(exif: dict) -> str:
    parts = []
    t = exif.get("exposure_time")
    if t:
        parts.append(f"1/{round(1 / t)} s" if t < 0.5 else f"{t:g} s")
    if exif.get("f_number"):
        parts.append(f"f/{exif['f_number']:g}")
    if exif.get("iso"):
        parts.append(f"ISO {exif['iso']:g}")
    if exif.get("focal_length"):
        parts.append(f"{exif['focal_length']:g} mm")
    return " · ".join(parts)


def _card(item: Item, render, failure) -> str:
    e = html.escape
    if failure is not None:
        error = failure.error or "failed"
        error = error[len(str(item.source)) + 2:] if error.startswith(f"{item.source}: ") else error
        return (f'<div class="card failed"><div class="thumb"><span class="x">✕</span></div><div class="meta">'
                f'<div class="name">{e(item.source.name)}</div><div class="src">{e(str(item.source.parent))}</div>'
                f'<div class="err">{e(error)}</div></div></div>')
    exif = render.exif if render else {}
    make, model = exif.get("make") or "", exif.get("model") or ""
    camera = model if model.lower().startswith(make.lower()) else f"{make} {model}".strip()
    thumb = (f'<img alt="{e(item.output.name)}" src="data:image/jpeg;base64,'
             f'{base64.b64encode(render.thumbnail).decode()}">' if render and render.thumbnail else "")
    took = f'<div class="time">developed in {render.seconds:.2f} s</div>' if render and render.seconds else ""
    size = f"{render.width}×{render.height}" if render and render.width else ""
    skipped = '<div class="skip">up to date (not re-rendered)</div>' if item.action == "skip" else ""
    lines = [x for x in (camera, exif.get("lens_model"), _exposure(exif), size, exif.get("datetime_original")) if x]
    return (f'<div class="card"><div class="thumb">{thumb}</div><div class="meta">'
            f'<div class="name">{e(item.output_rel)}</div><div class="src">from {e(item.source.name)}</div>'
            f'<div class="exif">{"<br>".join(e(str(x)) for x in lines)}</div>{took}{skipped}</div></div>')


def write_report(path: Path, items: list[Item], manifest: Manifest, summary: Summary, title: str) -> Path:
    from ..io.atomic import atomic_write_bytes

    failures = {f.source: f for f in summary.failures}
    cards = [_card(item, manifest.render(item.output_rel), failures.get(str(item.source))) for item in items]
    d = summary.as_dict()
    e = html.escape
    fail_html = ""
    if summary.failures:
        rows = "".join(f"<li>{e(f.error or f.source)}</li>" for f in summary.failures)
        fail_html = f'<section class="fail-list"><h2>{len(summary.failures)} failed</h2><ul>{rows}</ul></section>'
    stats = (f"<b>{d['inputs']}</b> inputs · <b>{d['developed']}</b> developed · <b>{d['skipped']}</b> up to date · "
             f"<b>{d['failed']}</b> failed · {d['seconds']:.1f} s"
             + (f" · {d['files_per_s']:.2f} files/s · {d['megapixels_per_s']:.1f} MP/s" if d["developed"] else "")
             + f" · {e(summary.engine)}")
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_CSS}</style></head><body>'
            f'<header><h1>{e(title)}</h1><div class="stats">{stats}</div>'
            f'<div class="stats">{time.strftime("%Y-%m-%d %H:%M")}, lsquared batch</div></header>'
            f'{fail_html}<main class="grid">{"".join(cards)}</main></body></html>')
    return atomic_write_bytes(path, page.encode("utf-8"), overwrite=True)
