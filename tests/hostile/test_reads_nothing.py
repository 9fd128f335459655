"""Class 8: a manifest scan that read nothing, or only part of its folder, used to say "manifests: 0 files …
nothing left unproven" and exit 0 (while `pcicheck iac` exits 2 on the same folder). Now an empty folder,
one without manifests, an unreadable subfolder, a dangling or looping link is exit 2 with one line that
names the folder or file and the fix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pcicheck.cli import main

ROOT = Path(__file__).resolve().parents[2]

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers: [{name: web, image: registry.example.com/web:1}]
"""


def scan(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["scan", "--manifests", str(folder), "--format", "json", "-o", str(folder.parent / "out.json")])
    return code, capsys.readouterr().err


def assert_input_error(code: int, err: str, names: Path, words: str) -> None:
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err  # one line: where, what, and the fix
    assert f"{names}" in lines[0] and words in lines[0], err
    assert "nothing left unproven" not in err and "internal error" not in err


def good_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "pod.yaml").write_text(POD)
    return folder


def test_a_good_folder_is_scanned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = scan(good_folder(tmp_path), capsys)
    assert code in (0, 1), err  # the baseline the hostile cases below differ from


def test_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    assert not any(folder.iterdir())
    code, err = scan(folder, capsys)
    assert_input_error(code, err, folder, "nothing to scan: no .yaml, .yml or .json files")
    assert "pass the folder that holds the Kubernetes manifests" in err


def test_folder_without_manifests_is_refused_like_iac_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "README.md").write_text("# not a manifest\n")
    (folder / "sub" / "notes.txt").write_text("kind: Pod\n")  # YAML inside, but not a manifest's name
    code, err = scan(folder, capsys)
    assert_input_error(code, err, folder, "nothing to scan")
    assert main(["iac", str(folder)]) == 2  # the same folder, the same verdict
    assert "nothing to scan" in capsys.readouterr().err


def test_only_non_kubernetes_yaml_is_nothing_to_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "chart"
    folder.mkdir()
    (folder / "values.yaml").write_text("replicaCount: 1\nimage: {repository: nginx}\n")
    (folder / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 1.0.0\n")
    (folder / "empty.yaml").write_text("# nothing\n")
    code, err = scan(folder, capsys)
    assert_input_error(code, err, folder, "nothing to evaluate: 3 files, no Kubernetes object of a kind pcicheck reads")
    assert "not a Kubernetes object (2)" in err and "helm template" in err


def test_dangling_yaml_symlink_in_a_good_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = good_folder(tmp_path)
    link = folder / "moved.yaml"
    link.symlink_to(tmp_path / "gone.yaml")
    assert os.path.lexists(link) and not link.exists()
    code, err = scan(folder, capsys)
    assert_input_error(code, err, link, "broken symbolic link")


def test_dangling_symlink_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "links"
    folder.mkdir()
    (folder / "a.yaml").symlink_to("/nonexistent/a.yaml")
    code, err = scan(folder, capsys)
    assert_input_error(code, err, folder / "a.yaml", "broken symbolic link")


def test_self_referencing_yaml_symlink(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = good_folder(tmp_path)
    loop = folder / "loop.yaml"
    loop.symlink_to(loop)
    with pytest.raises(OSError):
        loop.stat()  # ELOOP, for root too
    code, err = scan(folder, capsys)
    assert_input_error(code, err, loop, "cannot read")


def test_directory_symlink_loop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = good_folder(tmp_path)
    (folder / "again").symlink_to(folder)
    code, err = scan(folder, capsys)
    assert_input_error(code, err, folder / "again", "symbolic link loop")


def test_linked_folders_are_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Links to folders are followed (as `find -L` does), so nothing behind a link goes unread."""
    folder = tmp_path / "manifests"
    folder.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "pod.yaml").write_text(POD)
    (folder / "app").symlink_to(elsewhere)
    code, err = scan(folder, capsys)
    assert code in (0, 1), err
    assert '"Pod shop/web"' in (tmp_path / "out.json").read_text()


def test_special_file_named_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = good_folder(tmp_path)
    fifo = folder / "pipe.yaml"
    os.mkfifo(fifo)  # reading it would block forever
    code, err = scan(folder, capsys)
    assert_input_error(code, err, fifo, "not a regular file")


def test_unreadable_subfolder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = good_folder(tmp_path)
    locked = folder / "locked"
    locked.mkdir()
    (locked / "privileged.yaml").write_text(POD.replace("web", "hidden"))
    locked.chmod(0)
    try:
        if os.geteuid() != 0:
            with pytest.raises(PermissionError):
                list(locked.iterdir())
            code, err = scan(folder, capsys)
        else:
            # Root reads a mode-000 folder anyway. In a new user namespace root's files are not root's to
            # override (CAP_DAC_OVERRIDE holds only for ids mapped there), so the folder is unreadable
            # to the same program, run in its own process as a user would run it.
            unshare = shutil.which("unshare")
            probe = subprocess.run([unshare or "unshare", "-U", "ls", str(locked)], capture_output=True)
            if unshare is None or probe.returncode == 0 or b"ermission denied" not in probe.stderr:
                pytest.skip("running as root without user namespaces: no way to make a folder unreadable")
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            run = subprocess.run(
                [unshare, "-U", sys.executable, "-m", "pcicheck", "scan", "--manifests", str(folder)],
                capture_output=True,
                text=True,
                env=env,
            )
            code, err = run.returncode, run.stderr
    finally:
        locked.chmod(0o755)
    assert_input_error(code, err, locked, "cannot read this folder")


def test_resources_of_a_source_the_snapshot_does_not_name_are_refused(tmp_path: Path) -> None:
    """A snapshot whose `request.providers` leaves out the source of resources it holds: before, those
    resources' controls were never run and the scan said nothing was left unproven, exit 0."""
    import json

    from pcicheck.snapshot import to_document
    from tests.hostile.bounded import one_error_line, run_capped
    from tests.test_snapshot import SNAP

    path = tmp_path / "s.json"
    path.write_text(json.dumps({**to_document(SNAP), "request": {"providers": ["manifests"]}}))
    line = one_error_line(run_capped("evaluate", str(path), "-q"))
    assert "holds aws.kms.key resources but 'request.providers' (manifests) names none of aws" in line
