"""The fused video kernel: Y'CbCr planes -> R'G'B' -> 3D LUT -> Y'CbCr planes, one pass.

Per frame, one band of luma rows at a time (two for 4:2:0), so nothing but a one-band
scratch of chroma is written between the steps.

Chroma siting (H.273 chroma_sample_loc_type 0, the default of MPEG-2, H.264, HEVC and the
4:2:2 of ProRes): chroma samples sit on even luma columns, and for 4:2:0 midway between the
two luma rows of a pair.  Upsampling is linear between chroma samples at those positions
(odd columns 1/2 + 1/2; rows 3/4 of the own chroma row + 1/4 of the nearer neighbour row),
and the matching downsampling filters are [1 2 1]/4 across columns centred on the even
column and [1 1]/2 across the row pair.

When the output has the input's subsampling, chroma out is
    C_out = C_in + down(C_graded - up(C_in))
the graded change of chroma, measured at full resolution and filtered back onto the input's
chroma samples: an identity LUT then returns C_in exactly (down(up(C)) alone would blur it
by (1 6 1)/8 each generation).  When the layouts differ (4:2:0 in, 4:2:2 ProRes out),
C_out = down(C_graded).

LUT values are clipped to [0, 1] after interpolating, as in the stills kernels (looks that
hard-clip store nodes beyond [0, 1] so that interpolation next to the clip stays exact).
Speed: the input matrix is pre-scaled to grid units; the tetrahedron is chosen with integer
masks instead of branches (``lut3d.tetra_corners``, shared with the stills kernels: noisy footage would mispredict a branch on
almost every pixel), in a loop of its own that the compiler vectorizes, apart from the loop
that gathers the corners and the one that converts the result.  The tetrahedra, weights and tie-breaks are those of
lsquared.kernels.lut3d.tetrahedral (Kasson et al. 1995), so stills and video sample a LUT
identically (tested).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .lut3d import tetra_corners

# nnan/ninf/nsz (no reassociation, no contraction): lets the min/max clamps vectorize with
# reproducible results; the numpy error model drops division checks that keep loops scalar.
_FAST = {"nnan", "ninf", "nsz"}


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def _quantize(v, code_max):
    return int(min(max(v, 0.0), code_max) + 0.5)


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def _upsample_row(plane, ja, jb, wa, sx, width, out):
    """One row of chroma at full width: rows ja/jb blended wa : 1 - wa, then, for sx = 1,
    even columns on the samples and odd columns halfway between (last one repeated).
    Blend, even columns and odd columns each in a loop of their own, so that they vectorize."""
    wb = np.float32(1.0 - wa)
    wa = np.float32(wa)
    cw = (width + sx) >> sx
    if sx == 0:
        for i in range(width):
            out[i] = wa * np.float32(plane[ja, i]) + wb * np.float32(plane[jb, i])
        return
    half = np.float32(0.5)
    for i in range(cw):                      # the samples, on the even columns
        out[2 * i] = wa * np.float32(plane[ja, i]) + wb * np.float32(plane[jb, i])
    for i in range(width >> 1):              # odd columns: halfway to the next sample
        out[2 * i + 1] = half * (out[2 * i] + out[min(2 * i + 2, 2 * cw - 2)])


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def _upsample_rows(cb_in, cr_in, row, sxi, syi, ch_in, width, ucb, ucr):
    """Both chroma planes at full resolution for luma row ``row``: vertically 3/4 of the own
    chroma row and 1/4 of the nearer neighbour (4:2:0), then horizontally (_upsample_row)."""
    if syi == 1:
        ja = row >> 1
        jb = min(ja + 1, ch_in - 1) if row & 1 else max(ja - 1, 0)
        wa = 0.75
    else:
        ja = row
        jb = row
        wa = 1.0
    _upsample_row(cb_in, ja, jb, wa, sxi, width, ucb)
    _upsample_row(cr_in, ja, jb, wa, sxi, width, ucr)


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def _add_quantize(filtered, step, c_in, c_out, cj, cw_out, residual, top):
    """c_out[cj, ci] = code of filtered[step * ci] (+ c_in[cj, ci] when ``residual``: only then
    do input and output chroma share their layout)."""
    zero = np.float32(0.0)
    rnd = np.float32(0.5)
    if residual:
        for ci in range(cw_out):
            v = filtered[step * ci] + np.float32(c_in[cj, ci])
            c_out[cj, ci] = np.int32(min(max(v, zero), top) + rnd)
    else:
        for ci in range(cw_out):
            c_out[cj, ci] = np.int32(min(max(filtered[step * ci], zero), top) + rnd)


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def _chroma_down(dcb, dcr, cb_in, cr_in, cb_out, cr_out, bi, band, width, sxo, syo, ch_out, cw_out,
                 residual, code_max):
    """Band ``bi``'s graded chroma (dcb/dcr, full resolution, less up(C_in) when
    ``residual``) filtered onto the output's chroma samples, plus C_in, quantized."""
    rows_out = 1 if syo == 1 else band
    top = np.float32(code_max)
    res = residual > 0.0
    q = np.float32(0.25) if syo == 1 else np.float32(0.5)     # [1 2 1]/4 across, [1 1]/2 down
    for ro in range(rows_out):
        cj = (bi * band + ro) >> syo            # a row pair makes one chroma row when syo
        if cj >= ch_out:
            continue
        r0 = 0 if syo == 1 else ro
        r1 = 1 if syo == 1 else ro
        for plane in range(2):
            d = dcb if plane == 0 else dcr
            c_in = cb_in if plane == 0 else cr_in
            c_out = cb_out if plane == 0 else cr_out
            if sxo == 1:
                for ci in range(cw_out):
                    x0 = 2 * ci
                    xl = max(x0 - 1, 0)
                    xh = min(x0 + 1, width - 1)
                    v = q * (np.float32(0.5) * (d[r0, xl] + d[r1, xl] + d[r0, xh] + d[r1, xh])
                             + d[r0, x0] + d[r1, x0])
                    d[r0, x0] = v if syo == 1 else np.float32(0.5) * v     # column x0 is read no more
                _add_quantize(d[r0], 2, c_in, c_out, cj, cw_out, res, top)
            else:
                for ci in range(cw_out):
                    d[r0, ci] = np.float32(0.5) * (d[r0, ci] + d[r1, ci])
                _add_quantize(d[r0], 1, c_in, c_out, cj, cw_out, res, top)


BANDS_PER_TASK = 16          # bands per parallel task: scratch allocated once per task


@njit(parallel=True, cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
def grade_ycbcr_planes(y_in, cb_in, cr_in, y_out, cb_out, cr_out, width, height,
                       sxi, syi, sxo, syo, m_in, off_in, packed, n, m_out, off_out, code_max):
    """Grade one frame.

    y_in/cb_in/cr_in: integer planes (rows, line) of the input (a line may be longer than the
    picture); y_out/cb_out/cr_out: the output planes; sxi, syi, sxo, syo: log2 chroma
    subsampling (0 or 1) of input and output; m_in, off_in: LUT grid coordinates
    = m_in @ (codes - off_in) (``grid_matrix``); packed: the LUT as (n^3, 4) float32 rows
    (lut3d.pack_table), clipped to [0, 1] after interpolating; m_out, off_out: output codes
    = m_out @ rgb + off_out; code_max: the output's largest code.  Bands of rows run in
    parallel.
    """
    band = 2 if (syi == 1 or syo == 1) else 1
    nbands = (height + band - 1) // band
    nchunks = (nbands + BANDS_PER_TASK - 1) // BANDS_PER_TASK
    for chunk in prange(nchunks):
        grade_bands(y_in, cb_in, cr_in, y_out, cb_out, cr_out, width, height, sxi, syi, sxo, syo,
                    m_in, off_in, packed, n, m_out, off_out, code_max, band,
                    chunk * BANDS_PER_TASK, min((chunk + 1) * BANDS_PER_TASK, nbands))


@njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
def grade_bands(y_in, cb_in, cr_in, y_out, cb_out, cr_out, width, height, sxi, syi, sxo, syo,
                m_in, off_in, packed, n, m_out, off_out, code_max, band, first, stop):
    """Bands first..stop-1 of grade_ycbcr_planes, each ``band`` rows and their chroma.

    Each row runs in three loops: the first finds every pixel's tetrahedron (arithmetic only,
    which the compiler vectorizes), the second gathers the four corners, the third clips and
    converts to Y'CbCr (vectorized again).  Fused into one loop, the gathers keep the
    arithmetic from vectorizing: about twice the time (1.3x for the last split alone)."""
    a00, a01, a02 = m_in[0, 0], m_in[0, 1], m_in[0, 2]
    a10, a11, a12 = m_in[1, 0], m_in[1, 1], m_in[1, 2]
    a20, a21, a22 = m_in[2, 0], m_in[2, 1], m_in[2, 2]
    oy, ocb, ocr = off_in[0], off_in[1], off_in[2]
    b00, b01, b02 = m_out[0, 0], m_out[0, 1], m_out[0, 2]
    b10, b11, b12 = m_out[1, 0], m_out[1, 1], m_out[1, 2]
    b20, b21, b22 = m_out[2, 0], m_out[2, 1], m_out[2, 2]
    py, pcb, pcr = off_out[0], off_out[1], off_out[2]
    zero = np.float32(0.0)
    one = np.float32(1.0)
    top = np.float32(n - 1)
    last = np.int32(n - 2)
    sr = np.int32(n * n)
    sg = np.int32(n)
    sb = np.int32(1)
    far = n * n + n + 1
    residual = np.float32(1.0) if (sxi == sxo and syi == syo) else np.float32(0.0)
    ch_in = (height + syi) >> syi
    cw_out = (width + sxo) >> sxo
    ch_out = (height + syo) >> syo
    dcb = np.empty((band, width), np.float32)      # graded chroma (minus up(C_in))
    dcr = np.empty((band, width), np.float32)
    ucb = np.empty(width, np.float32)              # input chroma at full resolution
    ucr = np.empty(width, np.float32)
    cell = np.empty(width, np.int32)
    off1 = np.empty(width, np.int32)
    off2 = np.empty(width, np.int32)
    wts = np.empty((4, width), np.float32)
    rgb = np.empty((3, width), np.float32)
    for bi in range(first, stop):
        for br in range(band):
            row = bi * band + br
            if row >= height:                      # odd height: repeat the last row
                for col in range(width):
                    dcb[br, col] = dcb[br - 1, col]
                    dcr[br, col] = dcr[br - 1, col]
                continue
            _upsample_rows(cb_in, cr_in, row, sxi, syi, ch_in, width, ucb, ucr)
            for col in range(width):               # 1: the tetrahedron of every pixel
                ey = np.float32(y_in[row, col]) - oy
                ecb = ucb[col] - ocb
                ecr = ucr[col] - ocr
                xr = min(max(a00 * ey + a01 * ecb + a02 * ecr, zero), top)
                xg = min(max(a10 * ey + a11 * ecb + a12 * ecr, zero), top)
                xb = min(max(a20 * ey + a21 * ecb + a22 * ecr, zero), top)
                ir = min(np.int32(xr), last)
                ig = min(np.int32(xg), last)
                ib = min(np.int32(xb), last)
                w0, w1, w2, w3, o1, o2 = tetra_corners(xr - np.float32(ir), xg - np.float32(ig),
                                                       xb - np.float32(ib), sr, sg, sb)
                cell[col] = (ir * sg + ig) * sg + ib
                off1[col] = o1
                off2[col] = o2
                wts[0, col] = w0
                wts[1, col] = w1
                wts[2, col] = w2
                wts[3, col] = w3
            for col in range(width):               # 2: its four corners
                p0 = cell[col]
                p1 = p0 + off1[col]
                p2 = p0 + off2[col]
                p3 = p0 + far
                w0 = wts[0, col]
                w1 = wts[1, col]
                w2 = wts[2, col]
                w3 = wts[3, col]
                rgb[0, col] = w0 * packed[p0, 0] + w1 * packed[p1, 0] + w2 * packed[p2, 0] + w3 * packed[p3, 0]
                rgb[1, col] = w0 * packed[p0, 1] + w1 * packed[p1, 1] + w2 * packed[p2, 1] + w3 * packed[p3, 1]
                rgb[2, col] = w0 * packed[p0, 2] + w1 * packed[p1, 2] + w2 * packed[p2, 2] + w3 * packed[p3, 2]
            for col in range(width):               # 3: clipped as stills clip, to Y'CbCr
                vr = min(max(rgb[0, col], zero), one)
                vg = min(max(rgb[1, col], zero), one)
                vb = min(max(rgb[2, col], zero), one)
                y_out[row, col] = _quantize(b00 * vr + b01 * vg + b02 * vb + py, code_max)
                dcb[br, col] = b10 * vr + b11 * vg + b12 * vb + pcb - residual * ucb[col]
                dcr[br, col] = b20 * vr + b21 * vg + b22 * vb + pcr - residual * ucr[col]
        _chroma_down(dcb, dcr, cb_in, cr_in, cb_out, cr_out, bi, band, width, sxo, syo, ch_out, cw_out,
                     residual, code_max)


def grid_matrix(m_in: np.ndarray, n: int) -> np.ndarray:
    """rgb = m_in @ (codes - off) scaled to grid units of an n-point LUT (float32)."""
    return np.ascontiguousarray(np.asarray(m_in, dtype=np.float64) * (n - 1), dtype=np.float32)
