"""The package list, which pyproject.toml cannot express: the repository's lessons/ folder ships inside the
package as ``autoencoder_np/_course/lessons/`` (see autoencoder_np/course.py), so a wheel carries the whole
course while lessons/ stays the one source. Everything else is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["autoencoder_np*"]), "autoencoder_np._course.lessons"],
    package_dir={"autoencoder_np._course.lessons": "lessons"},
)
