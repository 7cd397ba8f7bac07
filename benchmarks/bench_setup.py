"""Download size and installation time of the book's environment, for the instructor page.

Creates a fresh virtual environment in a temporary folder, downloads the project with its
test extras there (``pip download``: every wheel a participant's ``make book`` fetches),
then installs from the downloaded files only, and prints the figures that
:data:`helpers.workshop.SETUP_MEASURED` holds. Needs the internet and about 10 GB of
temporary disk; nothing in the checkout changes.

Usage::

    python benchmarks/bench_setup.py
"""

from __future__ import annotations

import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        # Building the project writes build/ and *.egg-info beside it: build a copy.
        project = folder / "project"
        shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(
            ".venv", "_build", "data", ".git", "__pycache__", "*.egg-info", "build"))
        subprocess.run([sys.executable, "-m", "venv", str(folder / "venv")], check=True)
        python = str(folder / "venv" / "bin" / "python")
        pip_version = subprocess.run([python, "-m", "pip", "--version"], check=True,
                                     capture_output=True, text=True).stdout.split()[1]
        wheels = folder / "wheels"
        started = time.perf_counter()
        subprocess.run([python, "-m", "pip", "download", "--quiet", "-d", str(wheels),
                        f"{project}[test]"], check=True)
        download_seconds = time.perf_counter() - started
        files = [f for f in wheels.iterdir() if f.is_file()]
        started = time.perf_counter()
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-index",
                        "--find-links", str(wheels), f"{project}[test]"], check=True)
        install_seconds = time.perf_counter() - started
    torch_bytes = sum(f.stat().st_size for f in files
                      if f.name.startswith(("torch", "nvidia", "triton")))
    print({"date": datetime.date.today().isoformat(),
           "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
                      f"Python {platform.python_version()}, pip {pip_version}",
           "download_bytes": sum(f.stat().st_size for f in files),
           "download_files": len(files), "torch_download_bytes": torch_bytes,
           "download_seconds": round(download_seconds),
           "install_seconds": round(install_seconds)})


if __name__ == "__main__":
    main()
