"""Builds the extension module shine._core with CMake for `pip install` (see pyproject.toml).

The library and the module are configured and built in setuptools' temporary folder, for the
interpreter running the build; only the module's target is built. pybind11 is found by CMake
(Debian's pybind11-dev), or from the pybind11 Python package when that is installed. Set
CMAKE_ARGS to pass further options to CMake, and CMAKE_CXX_COMPILER_LAUNCHER=ccache to cache
compilations.
"""

import os
import pathlib
import shlex
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

SOURCE_DIR = pathlib.Path(__file__).resolve().parent


class CMakeExtension(Extension):
    """An extension module built by CMake's target `shine_python`."""

    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    """Configures and builds the CMake project, then copies the module where setuptools wants it."""

    def build_extension(self, ext):
        build_dir = pathlib.Path(self.build_temp).resolve() / "cmake"
        args = [
            "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython3_EXECUTABLE={sys.executable}",
            "-DSHINE_BUILD_PYTHON=ON",
            "-DSHINE_BUILD_TESTS=OFF",
            "-DSHINE_BUILD_APPS=OFF",
            "-DSHINE_BUILD_BENCH=OFF",
            "-DSHINE_BUILD_EXAMPLES=OFF",
        ]
        try:
            import pybind11

            args.append(f"-Dpybind11_DIR={pybind11.get_cmake_dir()}")
        except ImportError:
            pass  # CMake looks for pybind11's package itself
        args += shlex.split(os.environ.get("CMAKE_ARGS", ""))
        subprocess.run(["cmake", "-S", str(SOURCE_DIR), "-B", str(build_dir), *args], check=True)
        subprocess.run(
            ["cmake", "--build", str(build_dir), "--target", "shine_python", "--parallel",
             str(os.cpu_count() or 1)],
            check=True,
        )
        built = sorted((build_dir / "python" / "shine").glob("_core*"))
        if not built:
            sys.exit(f"CMake built no shine._core module in {build_dir / 'python' / 'shine'}")
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)


setup(ext_modules=[CMakeExtension("shine._core")], cmdclass={"build_ext": CMakeBuild})
