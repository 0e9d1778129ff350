"""The container image, checked without a Docker engine: the Dockerfile's last stage installs every Debian
package that `make` installs for the app's run time (both read scripts/runtime-packages.txt; this runs
the Dockerfile's own command that reads it), runs unprivileged, and leaves compilers in the build stage."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The database server and its extensions (PostGIS, and pg_trgm and unaccent from the server package) belong
# to the database host, not to the app's image.
DATABASE_SERVER_PACKAGE = re.compile(r"postgresql-\d+(-postgis-\d+)?")
COMPILERS = re.compile(r"^(build-essential|gcc(-\d+)?|g\+\+(-\d+)?|clang(-\d+)?|cpp|make|.*-dev)$")


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").strip() + " " if line.endswith("\\") else line.strip()
        if not line.endswith("\\"):
            logical.append(current)
            current = ""
    return [(item.split(None, 1)[0].upper(), item.split(None, 1)[1]) for item in logical]


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions((ROOT / "Dockerfile").read_text()):
        if instruction[0] == "FROM":
            stages.append([])
        stages[-1].append(instruction)
    return stages


def _make_runtime_packages() -> set[str]:
    """The packages `make system-packages` would ensure, from make's own expansion of its recipe."""
    recipe = subprocess.run(["make", "-n", "-s", "system-packages"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout
    recipe = recipe.replace("\\\n", " ").strip()
    assert recipe.startswith("scripts/apt-ensure "), recipe
    arguments = subprocess.run(["bash", "-c", "printf '%s\\n' " + recipe.removeprefix("scripts/apt-ensure ")],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    packages = {argument.split(":", 1)[0] for argument in arguments}
    return {package for package in packages if not DATABASE_SERVER_PACKAGE.fullmatch(package)}


def _apt_installs(stage: list[tuple[str, str]]) -> set[str]:
    """What the stage's `apt-get install` commands install, running their command substitutions on this
    checkout's files where the stage copied them into the image."""
    copied = {}
    for instruction, arguments in stage:
        if instruction == "COPY" and not arguments.startswith("--from"):
            *sources, destination = shlex.split(arguments)
            if len(sources) == 1:
                copied[destination] = str(ROOT / sources[0])
    packages: set[str] = set()
    for instruction, arguments in stage:
        if instruction != "RUN":
            continue
        for command in arguments.split("&&"):
            words = command.strip()
            if not re.match(r"apt-get\s+install\b", words):
                continue
            words = re.sub(r"^apt-get\s+install\s+", "", words)
            for image_path, local_path in copied.items():
                words = words.replace(image_path, local_path)
            expanded = subprocess.run(["bash", "-c", f"printf '%s\\n' {words}"], capture_output=True, text=True,
                                      check=True).stdout.split()
            packages.update(word for word in expanded if not word.startswith("-"))
    return packages


def test_the_image_installs_every_package_make_installs_for_run_time():
    runtime = _make_runtime_packages()
    assert {"libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core"} <= runtime  # WeasyPrint's PDF needs them
    final = _stages()[-1]
    assert runtime <= _apt_installs(final), runtime - _apt_installs(final)


def test_the_runtime_packages_are_real_debian_packages_installed_here():
    # `make` installed them on this Debian 12 machine, as apt will in the bookworm-based image.
    for package in sorted(_make_runtime_packages()):
        done = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", package], capture_output=True, text=True)
        assert done.returncode == 0 and "install ok installed" in done.stdout, package


def test_the_image_is_multi_stage_on_debian_12_and_leaves_compilers_behind():
    stages = _stages()
    assert len(stages) >= 2
    assert all(stage[0][1].split()[0].endswith("-bookworm") for stage in stages)  # the Debian `make` assumes
    final = stages[-1]
    assert final[0][1].split()[0] == "python:3.11-slim-bookworm"
    installed = _apt_installs(final)
    assert not {package for package in installed if COMPILERS.fullmatch(package)}, installed
    assert not any(instruction == "RUN" and "pip install" in arguments for instruction, arguments in final), \
        "the last stage copies the built environment; it builds nothing"
    copied_from_build = [arguments for instruction, arguments in final if instruction == "COPY"
                         and arguments.startswith("--from=")]
    assert any("/opt/venv" in arguments for arguments in copied_from_build)


def test_the_image_runs_as_an_unprivileged_user():
    final = _stages()[-1]
    users = [arguments.strip() for instruction, arguments in final if instruction == "USER"]
    assert users and users[-1] not in {"root", "0", "0:0"}
    assert any(instruction == "RUN" and "useradd" in arguments and users[-1] in arguments
               for instruction, arguments in final)
    # The only places it writes: the photos volume and the instance directory.
    assert any(instruction == "RUN" and f"chown {users[-1]}" in arguments and "/data/media" in arguments
               for instruction, arguments in final)


def test_the_image_carries_what_the_app_reads_at_run_time():
    build = _stages()[0]
    sources = {shlex.split(arguments)[0] for instruction, arguments in build if instruction == "COPY"}
    assert {"cityreport", "worker", "migrations", "static"} <= sources
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".venv" in ignored and "instance" in ignored
