"""Cost of the truncation check (io.raw_checks.tiff_data_extent: the header's strips and tiles
against the file size), in-process, median of 7 runs per file, beside the DNG tag reader every
DNG open already pays (io.dngtags.read_dng_tags), measured alternately in the same loop.

    python bench/truncation_check_cost.py
"""
import time, statistics, glob, subprocess, os
from lsquared.io.raw_checks import tiff_data_extent
from lsquared.io import dngtags
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RAW = os.environ.get('LSQUARED_SHARED', os.path.join(REPO, '..', 'shared')) + '/data/raw'
files = sorted(p for p in glob.glob(RAW + '/**/*.*', recursive=True) if not p.endswith('.md'))
print('in-process;', time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime()), 'load', open('/proc/loadavg').read().split()[:3],
      'commit', subprocess.run(['git','rev-parse','--short','HEAD'],capture_output=True,text=True).stdout.strip())
print(f"{'file':36s} {'tiff_data_extent ms':>20s} {'read_dng_tags ms (peer)':>24s}")
for f in files:
    a, b = [], []
    for _ in range(7):
        t = time.perf_counter(); tiff_data_extent(f); a.append(time.perf_counter() - t)
        t = time.perf_counter()
        try: dngtags.read_dng_tags(f)
        except Exception: pass
        b.append(time.perf_counter() - t)
    print(f"{os.path.basename(f):36s} {1e3*statistics.median(a):20.3f} {1e3*statistics.median(b):24.3f}")
