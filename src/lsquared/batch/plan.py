"""Planning a batch: which files, which output names, which recipe for each, what is to do.

Inputs are the files named and the raw or picture files inside the folders named (with
``recursive``, their subfolders too, mirrored under the output folder).  Each input's recipe is
the batch recipe with the input's own sidecar recipe, ``<input file name>.toml`` beside it (the
same TOML as ``develop --recipe``), laid over it field by field.  The recipe hash covers the
resolved recipe (the look by its content digest, so an edited look file counts as a change);
with the input's content hash it decides whether a render is up to date.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import os
import re
import string
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, LsquaredError, ParameterError
from ..pipeline.recipe import Recipe, recipe_from_dict, recipe_to_dict, recipe_to_toml
from .manifest import MANIFEST_NAME, Manifest
from ..io.files import PICTURE_SUFFIXES, RAW_SUFFIXES, file_sha256
from .task import Result, Task

# what a folder contributes: LibRaw's common raw formats and the pictures develop accepts
NAME_FIELDS = ("stem", "name", "suffix", "look", "ext")
DEFAULT_NAME = "{stem}.{ext}"
RECIPE_SIDECAR_SUFFIX = ".toml"


@dataclass(frozen=True, slots=True)
class Item:
    """One input and what the batch will do with it."""

    source: Path
    output: Path
    output_rel: str
    task: Task | None            # None when the input's recipe could not be read
    action: str                  # develop | skip | failed-before | error
    reason: str                  # why (new, input changed, recipe changed, ...)
    error: Result | None = None  # the failure, for action 'error' and 'failed-before'


def collect_inputs(sources: list[Path], *, recursive: bool, outdir: Path) -> list[tuple[Path, Path]]:
    """(file, folder relative to the output folder) for each input, in a stable order."""
    outdir = outdir.resolve()
    seen: set[Path] = set()
    found: list[tuple[Path, Path]] = []
    for src in sources:
        if not src.exists():
            raise InputError("no such file or folder", path=src, hint="check the path")
        if src.is_dir() and src.resolve().is_relative_to(outdir):
            raise InputError("is the output folder or inside it", path=src,
                             hint="write the outputs to a folder of their own (-o)")
        if src.is_file():
            files = [(src, Path())]
        else:
            pattern = "**/*" if recursive else "*"
            files = []
            for p in sorted(src.glob(pattern)):
                rel = p.relative_to(src)
                if any(part.startswith(".") for part in rel.parts) or not p.is_file():
                    continue
                if p.resolve().is_relative_to(outdir):       # never our own outputs
                    continue
                if p.suffix.lower() in RAW_SUFFIXES or p.suffix.lower() in PICTURE_SUFFIXES:
                    files.append((p, rel.parent))
        for path, rel in files:
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                found.append((key, rel))
    if not found:
        raise InputError(f"no raw files or pictures found in {', '.join(map(str, sources))}",
                         hint="--recursive includes subfolders" if not recursive else None)
    return found


def check_name_template(template: str) -> None:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise ParameterError(f"--name '{template}' is not a valid template ({exc})") from None
    unknown = [f for f in fields if f not in NAME_FIELDS]
    if unknown:
        raise ParameterError(f"--name: unknown field '{{{unknown[0]}}}'; use {', '.join('{%s}' % f for f in NAME_FIELDS)}")
    if "/" in template or "\\" in template or template.startswith("."):
        raise ParameterError(f"--name '{template}' must be a plain file name (no folders, not hidden)")


def output_name(template: str, source: Path, look: str, ext: str) -> str:
    name = template.format(stem=source.stem, name=source.name, suffix=source.suffix.lstrip(".").lower(),
                           look=look, ext=ext)
    if not name or name in (".", "..") or "/" in name or name.startswith("."):
        raise ParameterError(f"--name gives '{name}' for {source.name}: not a usable file name")
    return name


def look_label(name: str) -> str:
    """{look} in output names: the look's name, or a look file's stem."""
    return Path(name).stem if ("/" in name or Path(name).suffix) else name


def sidecar_recipe(source: Path, base: Recipe) -> Recipe:
    """The base recipe with ``<source>.toml`` laid over it, field by field (a full recipe
    written by ``develop`` replaces everything it names)."""
    path = source.with_name(source.name + RECIPE_SIDECAR_SUFFIX)
    if not path.is_file():
        return base
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ParameterError(f"not a valid TOML recipe ({exc})", path=path) from None
    merged = recipe_to_dict(base)
    for key, value in data.items():
        if key in ("version", "source"):
            continue
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    merged["version"] = data.get("version", merged["version"])
    try:
        return recipe_from_dict(merged)
    except ParameterError as exc:
        raise ParameterError(str(exc), path=path) from None


def resolve_recipe(recipe: Recipe) -> tuple[Recipe, str]:
    """The recipe as the workers get it (a look file by absolute path, its digest filled in)
    and its hash."""
    from ..looks import resolve_look

    name = recipe.look.name
    if "/" in name or Path(name).suffix:
        name = str(Path(name).expanduser().resolve())
    look = resolve_look(name)
    recipe = recipe.replace(look=dataclasses.replace(recipe.look, name=name, digest=look.digest))
    return recipe, hashlib.sha256(recipe_to_toml(recipe).encode()).hexdigest()


def hash_inputs(paths: list[Path], manifest: Manifest, threads: int = 4, on_new=None) -> dict[Path, str]:
    """Content hashes, from the manifest's cache where size and mtime are unchanged.
    ``on_new(paths)`` is told first which files are new or changed (and will need work), so
    the caller can start its workers while they are read."""
    out: dict[Path, str] = {}
    todo: list[tuple[Path, os.stat_result]] = []
    for p in paths:
        st = p.stat()
        cached = manifest.cached_hash(str(p), st.st_size, st.st_mtime_ns)
        if cached:
            out[p] = cached
        else:
            todo.append((p, st))
    if todo and on_new is not None:
        on_new([p for p, _ in todo])
    with ThreadPoolExecutor(threads) as pool:
        hashes = list(pool.map(lambda item: file_sha256(item[0]), todo))
    manifest.store_hashes([(str(p), st.st_size, st.st_mtime_ns, h) for (p, st), h in zip(todo, hashes)])
    out.update({p: h for (p, _), h in zip(todo, hashes)})
    return out


_RETRYABLE_ERRORS = ("out of memory", "worker process died", "internal error", "could not write")


def is_retryable(result: Result) -> bool:
    """A failure that may not happen again with the same input and recipe (not the file's
    fault): tried again by the next run.  A corrupt or unsupported file is not."""
    return any(marker in (result.error or "") for marker in _RETRYABLE_ERRORS)


def plan_batch(sources: list[Path], outdir: Path, base: Recipe, *, ext_of, name_template: str = DEFAULT_NAME,
               recursive: bool = False, manifest: Manifest, sidecar: bool = True,
               overwrite: bool = False, retry_failed: bool = False, thumbnail: int = 320,
               on_new_inputs=None, inputs: list[tuple[Path, Path]] | None = None) -> list[Item]:
    """Every input with its output, task and action.  ``ext_of(recipe)`` gives the output
    file suffix for a recipe (its format)."""
    check_name_template(name_template)
    if inputs is None:
        inputs = collect_inputs(sources, recursive=recursive, outdir=outdir)
    hashes = hash_inputs([p for p, _ in inputs], manifest, on_new=on_new_inputs)
    outdir = outdir.resolve()
    resolved_cache: dict[str, tuple[Recipe, str]] = {}
    items: list[Item] = []
    claimed: dict[Path, Path] = {}
    for source, rel in inputs:
        try:
            recipe = sidecar_recipe(source, base)
            key = recipe_to_toml(recipe)
            if key not in resolved_cache:
                resolved_cache[key] = resolve_recipe(recipe)
            recipe, recipe_hash = resolved_cache[key]
            name = output_name(name_template, source, look_label(recipe.look.name), ext_of(recipe))
        except LsquaredError as exc:
            out = outdir / rel / source.name
            line = exc.one_line() if exc.path else f"{source}: {exc.one_line()}"
            items.append(Item(source, out, str(out.relative_to(outdir)), None, "error", "recipe",
                              Result(source=str(source), output=str(out), ok=False, error=line)))
            continue
        output = outdir / rel / name
        if output in claimed:
            raise ParameterError(f"{claimed[output]} and {source} would both be written to {output}",
                                 hint="put {name} or {suffix} in --name")
        claimed[output] = source
        output_rel = str(output.relative_to(outdir))
        task = Task(source=str(source), output=str(output), recipe=recipe, recipe_hash=recipe_hash,
                    input_hash=hashes[source], sidecar=sidecar, thumbnail=thumbnail)
        action, reason, previous = _decide(manifest, output_rel, task, overwrite, retry_failed)
        items.append(Item(source, output, output_rel, task, action, reason, previous))
    return items


def _decide(manifest: Manifest, output_rel: str, task: Task, overwrite: bool, retry_failed: bool):
    render = manifest.render(output_rel)
    output = Path(task.output)
    if render is None:
        if output.exists() and not overwrite:
            return "error", "exists", Result(
                source=task.source, output=task.output, ok=False,
                error=f"{output}: already exists and was not written by this batch "
                      "(use --overwrite to replace it, or choose another -o)")
        return "develop", "new", None
    if render.input_hash != task.input_hash:
        return "develop", "input changed", None
    if render.recipe_hash != task.recipe_hash:
        return "develop", "recipe changed", None
    if render.state == "done":
        if manifest.output_intact(render):
            return "skip", "up to date", None
        return "develop", "output missing or changed", None
    if render.state == "failed" and not render.retry and not retry_failed:
        return "failed-before", "failed before, unchanged", Result(
            source=task.source, output=task.output, ok=False, error=render.error)
    return "develop", "unfinished" if render.state == "pending" else "retry", None


def stale_temporaries(items: list[Item]) -> list[Path]:
    """Temporary files (lsquared.io.atomic's ``.<name>.<8 hex>.tmp``) a killed run left
    beside this batch's outputs and their recipe sidecars."""
    found = []
    for item in items:
        for target in (item.output, item.output.with_name(item.output.name + ".toml")):
            if not target.parent.is_dir():
                continue
            pattern = re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{8}}\.tmp")
            found += [p for p in target.parent.glob(f".{glob.escape(target.name)}.*.tmp")
                      if pattern.fullmatch(p.name)]
    return found


__all__ = ["Item", "plan_batch", "collect_inputs", "stale_temporaries", "MANIFEST_NAME"]
