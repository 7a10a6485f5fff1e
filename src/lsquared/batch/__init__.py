"""Batch: develop whole folders on every core of one machine or on a Dask cluster, resumably.

- ``task``: ``Task`` (source, resolved recipe, output) and ``run_task(task) -> Result``, the
  only thing an engine calls;
- ``plan``: inputs, output names, per-file (sidecar) recipes, hashes, what is to do;
- ``manifest``: the SQLite record in the output folder that makes a batch resumable;
- ``engines``: a local process pool and a Dask distributed adapter;
- ``runner``: dispatch and record; ``report``: the HTML contact sheet.

The core never imports this package; ``lsquared batch`` (cli/batch.py) is its command.
"""
