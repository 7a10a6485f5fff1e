"""The look lab in a real browser: Debian's chromium (WebGL2 through SwiftShader) driven by
Playwright against a real ``lsquared serve`` on loopback.

The owner opens the lab on the demo raw (in an album), moves a control, waits for the canvas
to change and reads its pixels back: they match ``lsquared develop --look FILE`` of the same
look, exported from the lab as TOML, at the same size (PSNR >= 45 dB; < 1 code value at the
99th percentile).  The look is saved into the library, exported as .vlt and loaded with
``lsquared look import``.  The change-to-picture latency over 20 moves (input event to the
frame after the draw, measured in the page with performance.now) is printed.  A screenshot
goes to the test's folder and into LSQUARED_SCREENSHOTS (e.g. ``docs``) when that is set."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest
from share_fixtures import ServerProcess, add_user, wait_for
from test_browser import CHROMIUM_ARGS, chromium_or_skip

pytestmark = pytest.mark.slow
PIXELS_JS = "() => { const p = window.lab.pixels(); let s = ''; for (let i = 0; i < p.length; i += 32768) s += String.fromCharCode.apply(null, p.subarray(i, i + 32768)); return btoa(s); }"


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def run_cli(*args, env=None) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, "-m", "lsquared.cli.main", *map(str, args)], capture_output=True,
                         text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    return out


def test_lab_live_edit_matches_develop_and_exports(tmp_path):
    chromium = chromium_or_skip()
    from PIL import Image
    from playwright.sync_api import sync_playwright

    from lsquared.synth.demo import make_demo_raw

    data = tmp_path / "data"
    data.mkdir()
    token = add_user(data, "studio", "correct horse battery")
    server = ServerProcess(data, workers=0).start()
    try:
        raw = tmp_path / "demo.dng"
        make_demo_raw(raw, size=(720, 480), seed=3, illuminant="D65")
        h = {"Authorization": f"Bearer {token}"}
        album = httpx.post(server.url + "/api/albums", json={"title": "Lab"}, headers=h).json()["id"]
        photo = httpx.post(f"{server.url}/api/albums/{album}/photos", params={"name": "demo.dng"},
                           content=raw.read_bytes(), headers=h, timeout=60).json()["id"]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(server.url + "/login")
                page.fill("input[name=name]", "studio")
                page.fill("input[name=password]", "correct horse battery")
                page.click("button[type=submit]")
                page.wait_for_url("**/albums")
                # the album page links into the lab, in its header, where the look is named
                page.goto(f"{server.url}/albums/{album}")
                link = page.locator("#open-lab")
                box = link.bounding_box()
                assert link.is_visible() and box and box["y"] + box["height"] < 900, box
                assert page.locator(f"#photo-{photo} .lab-link").is_visible()
                page.screenshot(path=str(tmp_path / "album.png"))
                link.click()
                page.wait_for_url(f"**/lab?photo={photo}&album={album}")
                wait_for(lambda: page.evaluate("() => !!(window.lab && window.lab.ready)"), 90)
                page.uncheck("#split")                    # the whole picture in the edited look
                wait_for(lambda: page.evaluate("() => window.lab.inFlight === false"), 30)
                before = page.evaluate(PIXELS_JS)

                # move a control: saturation on, amount up; the canvas changes
                page.check("input[data-toggle=saturation]")
                slider = page.locator("input[data-step=saturation][data-param=amount]")
                slider.fill("1.6")                         # fires input and change
                contrast = page.locator("input[data-step=tone][data-param=contrast]")
                contrast.fill("1.45")
                wait_for(lambda: page.evaluate("() => !window.lab.inFlight && !window.lab.pending")
                         and page.evaluate(PIXELS_JS) != before, 30)
                wait_for(lambda: page.evaluate("() => !window.lab.inFlight && !window.lab.pending"), 30)
                w, hgt = page.evaluate("() => [window.lab.w, window.lab.h]")
                shown = np.frombuffer(base64.b64decode(page.evaluate(PIXELS_JS)), np.uint8).reshape(hgt, w, 3)

                # save into the library; export TOML and .vlt with the page's session
                page.fill("#name", "lab-vivid")
                page.fill("#description", "made in the lab")
                page.click("#save")
                wait_for(lambda: "saved 'lab-vivid'" in page.inner_text("#status"), 30)
                # back to the album: it is offered first, and re-renders in the look
                assert page.input_value("#album") == str(album)
                page.click("#apply")
                wait_for(lambda: "album re-rendering 1 photo" in page.inner_text("#status"), 30)
                cookies = {c["name"]: c["value"] for c in page.context.cookies()}
                toml = httpx.get(f"{server.url}/api/lab/looks/lab-vivid/export", params={"format": "toml"},
                                 cookies=cookies)
                vlt = httpx.get(f"{server.url}/api/lab/looks/lab-vivid/export", params={"format": "vlt"},
                                cookies=cookies)
                assert toml.status_code == 200 and vlt.status_code == 200

                # the change-to-picture latency over 20 moves (the arrow key on the slider: 20
                # distinct values, so every move compiles a new LUT; none comes from the cache)
                slider.focus()
                page.evaluate("() => { window.lab.latencies = []; window.lab.parts = []; }")
                for i in range(20):
                    page.keyboard.press("ArrowRight")
                    wait_for(lambda: page.evaluate("() => window.lab.latencies.length") >= i + 1, 30, 0.005)
                latencies = page.evaluate("() => window.lab.latencies")
                parts = page.evaluate("() => window.lab.parts")
                page.locator("input[data-step=saturation][data-param=amount]").fill("1.6")
                page.check("#split")
                page.evaluate("() => document.querySelector('.lab-side').scrollTo(0, 0)")
                time.sleep(1.0)
                page.screenshot(path=str(tmp_path / "lab.png"))

                # a .cube imported through the page, kept in the library under the name given
                from lsquared.looks import resolve_look
                from lsquared.looks.export import export_look

                cube = export_look(resolve_look("vivid"), tmp_path / "vivid.cube", "cube")
                page.fill("#name", "imported-vivid")
                page.set_input_files("#importfile", str(cube))
                wait_for(lambda: "into your library as 'imported-vivid'" in page.inner_text("#status"), 30)
                assert page.locator("#start option[value=imported-vivid]").count() == 1
                assert not errors, errors
            finally:
                browser.close()
    finally:
        server.stop()

    lat = np.array(latencies)
    print(f"\nchange-to-picture latency over {lat.size} moves: median {np.median(lat):.1f} ms, "
          f"p95 {np.percentile(lat, 95):.1f} ms (load {open('/proc/loadavg').read().split()[0]})")
    for key in ("wait", "lut", "draw", "frame", "painted"):
        print(f"  of which {key}: median {np.median([q[key] for q in parts]):.1f} ms")

    look = tmp_path / "lab-vivid.toml"
    look.write_bytes(toml.content)
    out = tmp_path / "developed.png"
    run_cli("develop", raw, "--look", look, "-o", out)
    developed = np.asarray(Image.open(out).convert("RGB"))
    assert developed.shape == shown.shape
    diff = np.abs(developed.astype(int) - shown.astype(int))
    quality = psnr(developed, shown)
    print(f"lab canvas vs lsquared develop: PSNR {quality:.1f} dB, 99th percentile {np.percentile(diff, 99):.0f}, "
          f"max {diff.max()} code values ({w}x{hgt})")
    assert quality >= 45.0 and np.percentile(diff, 99) < 1.0

    vlt_path = tmp_path / "lab-vivid.vlt"
    vlt_path.write_bytes(vlt.content)
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}
    run_cli("look", "import", vlt_path, "--name", "lab-vivid-vlt", env=env)
    assert (tmp_path / "config" / "lsquared" / "looks").is_dir()

    assert lat.size == 20
    shots = os.environ.get("LSQUARED_SCREENSHOTS")
    if shots:
        shutil.copy(tmp_path / "lab.png", os.path.join(shots, "lab.png"))
