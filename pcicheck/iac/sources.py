"""What `pcicheck iac` hands to Checkov and to pcicheck's own Kubernetes controls.

The sources under PATH are copied into a private staging directory first, for three reasons:
  * in-source suppressions (`checkov:skip=` comments, `checkov.io/skip` annotations, CloudFormation
    `Metadata.checkov.skip`) are neutralised there, so Checkov evaluates every check; each one is
    remembered so the report can still show it (only pcicheck waivers with an approver waive);
  * Helm charts and Kustomizations are rendered there, because Checkov skips them silently when
    helm or kustomize is missing, and pcicheck turns a missing renderer into an `error` instead;
  * a `.checkov.yaml` in the repository, which could switch checks off, is left behind.
Line numbers are kept (every edit keeps the line count), so findings point into the original files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

MAX_FILE_BYTES = 5 * 1024 * 1024
RENDER_TIMEOUT_S = 300
RENDERED_NAME = "rendered-by-pcicheck.yaml"
# Never IaC, and can be huge (provider binaries, dependencies, VCS data).
PRUNED_DIRS = frozenset({".git", ".terraform", ".terragrunt-cache", "node_modules", ".venv", "__pycache__"})
TEXT_SUFFIXES = (".tf", ".tfvars", ".yaml", ".yml", ".template")
JSON_SUFFIX = ".json"
CHECKOV_CONFIGS = frozenset({".checkov.yaml", ".checkov.yml"})
CHART_FILE = "Chart.yaml"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

# Checkov's own suppression syntax (checkov/common/comment/enum.py, kubernetes_utils.py,
# cloudformation/context_parser.py). Each replacement keeps the text's length and the line count.
_COMMENT = re.compile(r"(checkov|bridgecrew|cortex):skip=\s*([A-Za-z_\d-]+(?:,[A-Za-z_\d-]+)*)?(:[^\n]*)?")
_ANNOTATION = re.compile(r"(checkov|bridgecrew|cortex)\.io/skip(\w*)(['\"]?\s*:\s*)(.*)$")
_METADATA_KEY_YAML = re.compile(r"^(\s*(?:-\s+)?['\"]?)(checkov|bridgecrew)(['\"]?\s*:\s*(?:#.*)?)$")
_METADATA_KEY_JSON = re.compile(r"\"(checkov|bridgecrew)\"(\s*:\s*\{)")
_METADATA_ID = re.compile(r"['\"]?id['\"]?\s*:\s*['\"]?([A-Za-z_\d-]+)")
_METADATA_COMMENT = re.compile(r"['\"]?comment['\"]?\s*:\s*['\"]?([^'\"\n]*)")
_HELM_SOURCE = re.compile(r"^# Source: (\S.*)$")
_LOCAL_MODULE = re.compile(r'^\s*source\s*=\s*"(\.\.?/[^"]*)"')


@dataclass(frozen=True)
class SkipMarker:
    """An in-source suppression that pcicheck did not honour."""

    file: str  # where it is written, relative to the scan root
    line: int
    ids: tuple[str, ...]  # the check ids it names; empty when none could be read
    comment: str
    staged: str = ""  # the staged file and line, to match it with Checkov's records
    staged_line: int = 0


@dataclass(frozen=True)
class SourceProblem:
    """A source that could not be evaluated: becomes an `error` result, never a pass."""

    file: str  # relative to the scan root
    line: int
    message: str


@dataclass(frozen=True)
class Origin:
    """Where findings in one staged file are reported."""

    file: str  # relative to the scan root
    rendered_by: str | None = None  # "helm" or "kustomize" for rendered output
    helm_sources: tuple[tuple[int, str], ...] = ()  # (line in the rendered file, template file)

    def locate(self, line: int) -> tuple[str, int]:
        """The original file and line for a line of the staged file; for rendered Helm output, the
        template named by the nearest `# Source:` comment above it (its own line is unknown: 1)."""
        if self.rendered_by is None:
            return self.file, line
        template = None
        for start, source in self.helm_sources:
            if start > line:
                break
            template = source
        return (template, 1) if template else (self.file, 1)


@dataclass
class Staged:
    root: Path  # the scanned directory (the file's directory when PATH is a file)
    stage: Path  # the private copy Checkov scans
    origins: dict[str, Origin] = field(default_factory=dict)  # staged relative path -> origin
    markers: list[SkipMarker] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)
    manifests: dict[str, list[Path]] = field(default_factory=dict)  # deploy unit -> staged Kubernetes files
    renderers: dict[str, str] = field(default_factory=dict)  # helm / kustomize -> program used or "missing"
    files: int = 0

    def staged_rel(self, path: str | Path) -> str:
        """A staged file relative to the staging directory, from an absolute path or from Checkov's
        root-relative `/dir/file` form."""
        p = Path(path)
        if p.is_relative_to(self.stage):
            p = p.relative_to(self.stage)
        return p.as_posix().lstrip("/")


# --- YAML classification ----------------------------------------------------------------------


class _AnyTagLoader(yaml.SafeLoader):
    """Safe loading that accepts CloudFormation's short-form tags (!Ref, !Sub...) as plain values."""


def _any_tag(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_AnyTagLoader.add_multi_constructor("!", _any_tag)


def _is_k8s_object(doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    kind, meta = doc.get("kind"), doc.get("metadata")
    if not isinstance(doc.get("apiVersion"), str) or not isinstance(kind, str):
        return False
    if kind.endswith("List") and isinstance(doc.get("items"), list):
        return all(_is_k8s_object(item) for item in doc["items"])
    return isinstance(meta, dict) and isinstance(meta.get("name"), str)


def classify(text: str, is_json: bool) -> tuple[str, str | None]:
    """("kubernetes" | "other" | "invalid", reason). Kubernetes means every document is an object."""
    try:
        docs = [d for d in yaml.load_all(text, Loader=_AnyTagLoader) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return "invalid", f"not valid {'JSON' if is_json else 'YAML'}{where}: {problem}"
    if docs and all(_is_k8s_object(d) for d in docs):
        return "kubernetes", None
    return "other", None


def _json_is_iac(text: str) -> bool:
    head = text[:65536]
    return (
        '"AWSTemplateFormatVersion"' in head or '"Resources"' in head or ('"apiVersion"' in head and '"kind"' in head)
    )


# --- neutralising suppressions ----------------------------------------------------------------


def neutralise(text: str, rel: str) -> tuple[str, list[SkipMarker]]:
    """The text with every Checkov suppression made inert, and what each one said (file and line
    are `rel` and the line in `text`)."""
    markers: list[SkipMarker] = []
    lines = text.split("\n")
    metadata_indent: int | None = None
    metadata_marker: dict[str, Any] | None = None

    def close_metadata() -> None:
        nonlocal metadata_marker
        if metadata_marker is not None:
            m = metadata_marker
            comment = "; ".join(m["comments"]) or "CloudFormation Metadata checkov.skip"
            markers.append(SkipMarker(rel, m["line"], tuple(m["ids"]), comment, rel, m["line"]))
        metadata_marker = None

    for i, line in enumerate(lines):
        number = i + 1
        if metadata_marker is not None:
            indent = len(line) - len(line.lstrip())
            if line.strip() and indent <= (metadata_indent or 0):
                close_metadata()
            else:
                metadata_marker["ids"] += _METADATA_ID.findall(line)
                metadata_marker["comments"] += [c.strip() for c in _METADATA_COMMENT.findall(line) if c.strip()]
        for m in _COMMENT.finditer(line):
            ids = tuple(m.group(2).split(",")) if m.group(2) else ()
            comment = (m.group(3) or ":")[1:].strip() or "no comment"
            markers.append(SkipMarker(rel, number, ids, comment, rel, number))
        line = _COMMENT.sub(lambda m: m.group(0).replace(":skip=", ":SKIP=", 1), line)
        annotation = _ANNOTATION.search(line)
        if annotation:
            value = annotation.group(4).strip().strip("'\"")
            check, _, comment = value.partition("=")
            ids = (check.strip(),) if check.strip() else ()
            markers.append(SkipMarker(rel, number, ids, comment.strip() or "no comment", rel, number))
            line = _ANNOTATION.sub(lambda m: m.group(0).replace(".io/skip", ".io/SKIP", 1), line)
        key = _METADATA_KEY_YAML.match(line)
        if key:
            close_metadata()
            metadata_indent = len(line) - len(line.lstrip())
            metadata_marker = {"line": number, "ids": [], "comments": []}
            line = key.group(1) + key.group(2).upper() + key.group(3)
        elif _METADATA_KEY_JSON.search(line):
            found = _METADATA_KEY_JSON.search(line)
            assert found is not None
            rest = line[found.end() :]
            markers.append(
                SkipMarker(
                    rel,
                    number,
                    tuple(_METADATA_ID.findall(rest)),
                    "; ".join(c.strip() for c in _METADATA_COMMENT.findall(rest) if c.strip())
                    or "CloudFormation Metadata checkov.skip",
                    rel,
                    number,
                )
            )
            line = _METADATA_KEY_JSON.sub(lambda m: f'"{m.group(1).upper()}"{m.group(2)}', line)
        lines[i] = line
    close_metadata()
    return "\n".join(lines), markers


# --- staging ----------------------------------------------------------------------------------


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _unit(rel_dir: str) -> str:
    """The name Kubernetes objects from one directory are judged under: objects in one directory
    (or one chart, one Kustomization) form one deploy unit, so dev/ and prod/ copies never collide."""
    return f"iac:{rel_dir}" if rel_dir else "iac"


def stage_sources(
    path: Path,
    stage: Path,
    env: Mapping[str, str],
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> Staged:
    """Copy, neutralise and render everything under `path` into `stage` (an empty directory)."""
    root = path if path.is_dir() else path.parent
    staged = Staged(root=root, stage=stage)
    found = _walk(staged, {path.name} if path.is_file() else None)
    for p in found.plain:
        _stage_file(staged, p)
    _render_all(staged, found, run, env)
    return staged


@dataclass
class _Found:
    """What the walk under the scan root turned up."""

    plain: list[Path] = field(default_factory=list)  # files staged as they are
    charts: list[Path] = field(default_factory=list)  # Helm chart directories
    kustomizations: list[Path] = field(default_factory=list)  # Kustomization directories


def _walk(staged: Staged, only: set[str] | None) -> _Found:
    """The files and renderable directories under the root (`only`: the one file asked for)."""
    found = _Found()
    for directory, dirnames, filenames in os.walk(staged.root, followlinks=False):
        here = Path(directory)
        dirnames[:] = sorted(d for d in dirnames if d not in PRUNED_DIRS and only is None)
        _skip_linked_dirs(staged, here, dirnames)
        if only is None and CHART_FILE in filenames:
            found.charts.append(here)
            dirnames[:] = []  # templates are not YAML until rendered; subcharts render with their parent
            continue
        inside_kustomization = any(k == here or k in here.parents for k in found.kustomizations)
        if only is None and any(k in filenames for k in KUSTOMIZATION_FILES):
            found.kustomizations.append(here)
            continue
        if inside_kustomization:
            continue  # resources and patches of a Kustomization are judged as its rendered output
        found.plain += _plain_files(staged, here, filenames, only)
    return found


def _skip_linked_dirs(staged: Staged, here: Path, dirnames: list[str]) -> None:
    # Not followed (it may lead anywhere, even into a loop); said, so nothing in it passes unseen.
    for d in [d for d in dirnames if (here / d).is_symlink()]:
        staged.problems.append(
            SourceProblem(_rel(here / d, staged.root), 1, "symbolic link to a directory: not scanned")
        )
        dirnames.remove(d)


def _plain_files(staged: Staged, here: Path, filenames: list[str], only: set[str] | None) -> list[Path]:
    """The IaC files of one directory, in name order; a symbolic link is a problem, never followed."""
    files: list[Path] = []
    for name in sorted(filenames):
        if only is not None and name not in only:
            continue
        p = here / name
        if name in CHECKOV_CONFIGS or not name.endswith((*TEXT_SUFFIXES, JSON_SUFFIX)):
            continue
        if p.is_symlink():
            staged.problems.append(SourceProblem(_rel(p, staged.root), 1, "symbolic link: not scanned"))
        elif p.is_file():
            files.append(p)
    return files


def _render_all(
    staged: Staged,
    found: _Found,
    run: Callable[..., subprocess.CompletedProcess[str]],
    env: Mapping[str, str],
) -> None:
    helm = shutil.which("helm", path=env.get("PATH"))
    for chart in found.charts:
        _render(staged, chart, "helm", [helm, "template", chart.name, str(chart)] if helm else None, run, env)
    if found.kustomizations:
        kustomize = shutil.which("kustomize", path=env.get("PATH"))
        kubectl = shutil.which("kubectl", path=env.get("PATH"))
        for k in found.kustomizations:
            cmd = [kustomize, "build", str(k)] if kustomize else [kubectl, "kustomize", str(k)] if kubectl else None
            _render(staged, k, "kustomize", cmd, run, env)


def _stage_file(staged: Staged, p: Path) -> None:
    rel = _rel(p, staged.root)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            staged.problems.append(SourceProblem(rel, 1, f"larger than {MAX_FILE_BYTES // 2**20} MiB: not scanned"))
            return
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        staged.problems.append(SourceProblem(rel, 1, "not UTF-8 text: not scanned"))
        return
    except OSError as exc:
        staged.problems.append(SourceProblem(rel, 1, f"cannot read: {exc.strerror}"))
        return
    is_json = p.name.endswith(JSON_SUFFIX)
    if is_json and not p.name.endswith(".tf.json") and not _json_is_iac(text):
        return  # package.json and the like: not infrastructure
    _write_staged(staged, rel, text, Origin(rel))
    if p.name.endswith(".tf"):
        _check_module_sources(staged, p, rel, text)
    if p.name.endswith((".yaml", ".yml")) or (is_json and not p.name.endswith(".tf.json")):
        kind, reason = classify(text, is_json)
        if kind == "invalid":
            staged.problems.append(SourceProblem(rel, 1, reason or "not valid YAML"))
        elif kind == "kubernetes":
            parent = PurePosixPath(rel).parent.as_posix()
            staged.manifests.setdefault(_unit("" if parent == "." else parent), []).append(staged.stage / rel)


def _check_module_sources(staged: Staged, p: Path, rel: str, text: str) -> None:
    """Local modules outside PATH are not in the staged copy, and Checkov would skip them quietly."""
    for number, line in enumerate(text.split("\n"), start=1):
        found = _LOCAL_MODULE.match(line)
        if found and not (p.parent / found.group(1)).resolve().is_relative_to(staged.root.resolve()):
            staged.problems.append(
                SourceProblem(
                    rel,
                    number,
                    f"module source {found.group(1)} is outside the scanned path: its resources were not evaluated "
                    "(scan a directory that contains it)",
                )
            )


def _write_staged(staged: Staged, rel: str, text: str, origin: Origin) -> None:
    clean, markers = neutralise(text, rel)
    target = staged.stage / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(clean, encoding="utf-8")
    staged.origins[rel] = origin
    for m in markers:
        file, line = origin.locate(m.staged_line)
        staged.markers.append(replace(m, file=file, line=line))
    staged.files += 1


def _render(
    staged: Staged,
    source: Path,
    renderer: str,
    command: list[str] | None,
    run: Callable[..., subprocess.CompletedProcess[str]],
    env: Mapping[str, str],
) -> None:
    rel_dir = _rel(source, staged.root) if source != staged.root else ""
    marker_file = CHART_FILE if renderer == "helm" else next(k for k in KUSTOMIZATION_FILES if (source / k).is_file())
    origin_file = f"{rel_dir}/{marker_file}" if rel_dir else marker_file
    if command is None:
        wanted = "helm" if renderer == "helm" else "kustomize or kubectl"
        staged.renderers.setdefault(renderer, "missing")
        staged.problems.append(
            SourceProblem(
                origin_file,
                1,
                f"{wanted} is not installed: this {'Helm chart' if renderer == 'helm' else 'Kustomization'} "
                "was not rendered, so nothing in it was evaluated",
            )
        )
        return
    staged.renderers[renderer] = " ".join(str(c) for c in command[: 1 if renderer == "helm" else 2])
    try:
        done = run(
            [str(c) for c in command],
            capture_output=True,
            text=True,
            timeout=RENDER_TIMEOUT_S,
            check=False,
            env=dict(env),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        staged.problems.append(SourceProblem(origin_file, 1, f"{renderer} could not render it: {exc}"))
        return
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
        staged.problems.append(SourceProblem(origin_file, 1, f"{renderer} could not render it: {last}"))
        return
    sources: list[tuple[int, str]] = []
    if renderer == "helm":
        for number, line in enumerate(done.stdout.split("\n"), start=1):
            found = _HELM_SOURCE.match(line)
            if found:
                # "chart/templates/x.yaml" -> "<chart dir>/templates/x.yaml"
                inside = PurePosixPath(found.group(1).strip()).parts[1:]
                sources.append((number, PurePosixPath(rel_dir or ".", *inside).as_posix()))
    rel = f"{rel_dir}/{RENDERED_NAME}" if rel_dir else RENDERED_NAME
    origin = Origin(origin_file, renderer, tuple(sources))
    _write_staged(staged, rel, done.stdout, origin)
    kind, reason = classify(done.stdout, False)
    if kind == "kubernetes":
        staged.manifests.setdefault(_unit(rel_dir), []).append(staged.stage / rel)
    elif kind == "invalid":
        staged.problems.append(SourceProblem(origin_file, 1, f"{renderer} output is {reason}"))
