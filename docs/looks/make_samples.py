"""Render the sample pictures of docs/looks.md: every built-in look on the synthetic chart
scene (scene-referred truth from lsquared.synth) and on a Kodak photograph (linearized sRGB).

    python docs/looks/make_samples.py        # writes docs/looks/<look>.png and all-looks.png
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lsquared.color import transfer
from lsquared.color.spaces import SPACES
from lsquared.looks import LOOKS, resolve_look
from lsquared.looks.preview import downscale, render, vlog_from_linear_srgb

HERE = Path(__file__).resolve().parent
KODAK = HERE.parents[1].parent / "shared" / "data" / "kodak" / "kodim23.png"


def chart_vlog() -> np.ndarray:
    from lsquared.synth.camera import compose
    from lsquared.synth.scene import chart_scene
    from lsquared.synth.truth import material_xyz_table

    scene = chart_scene(720, 480)
    xyz = compose(scene, material_xyz_table(scene), 0.0).astype(np.float64)
    vlog = transfer.vlog_encode(xyz.reshape(-1, 3) @ SPACES["vgamut"].from_xyz.T)
    return downscale(vlog.reshape(xyz.shape).astype(np.float32), 240)


def kodak_vlog() -> np.ndarray:
    srgb = np.asarray(Image.open(KODAK).convert("RGB"), np.float64) / 255.0
    lin = transfer.srgb_decode(srgb).reshape(-1, 3)
    return downscale(vlog_from_linear_srgb(lin).reshape(srgb.shape).astype(np.float32), 256)


def main() -> None:
    sources = [chart_vlog(), kodak_vlog()]
    tiles = []
    for name in LOOKS:
        look = resolve_look(name)
        parts = [render(v, look, seed=1) for v in sources]
        h = min(p.shape[0] for p in parts)
        pic = np.concatenate([p[:h] for p in parts], axis=1)
        img = Image.fromarray((np.clip(pic, 0, 1) * 255 + 0.5).astype(np.uint8))
        img.save(HERE / f"{name}.png", optimize=True)
        tiles.append((name, img))
        print("wrote", HERE / f"{name}.png")
    # one overview sheet: the photograph in every look
    x0 = sources[0].shape[1]
    w, h = tiles[0][1].width - x0, tiles[0][1].height
    font = ImageFont.load_default(size=13)
    sheet = Image.new("RGB", (4 * (w + 6) + 6, 4 * (h + 26) + 6), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    for i, (name, img) in enumerate(tiles):
        x, y = 6 + (i % 4) * (w + 6), 6 + (i // 4) * (h + 26)
        sheet.paste(img.crop((x0, 0, x0 + w, h)), (x, y))
        draw.text((x, y + h + 3), name, fill=(230, 230, 230), font=font)
    sheet.save(HERE / "all-looks.png", optimize=True)


if __name__ == "__main__":
    main()
