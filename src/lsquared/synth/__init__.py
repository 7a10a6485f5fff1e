"""The simulated camera and its test scenes: the demo raw and the tests' ground truth.

- ``scene.chart_scene``: a ColorChecker 24, step wedge, grey ramp, Siemens star, bars or a
  blown sky and a lamp, described spectrally (docs/synthetic.md);
- ``camera``: spectral integration through measured camera sensitivities, Bayer CFA, lens
  blur, shot and read noise, and the maker-style profile (ColorMatrix1/2, ForwardMatrix1/2);
- ``truth``: reference colours (XYZ/Lab under D65) and boxes in developed-picture pixels, and
  ``evaluate_chart`` to score a developed picture;
- ``demo.make_demo_raw``: all of it written as a real DNG with its ``DemoInfo``.
"""

from .demo import DemoInfo, make_demo_raw

__all__ = ["DemoInfo", "make_demo_raw"]
