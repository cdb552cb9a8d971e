"""Peak memory of reading hostile `.spacy` files: annotator's docbin.read vs spaCy's bare
DocBin.from_bytes + get_docs, each in a child process of its own, on the same files.

Files (built here, compressed a piece at a time so that building them takes little memory):
- "zero tokens": a DocBin map whose token table is a msgpack bin of --zeros MiB of zero
  bytes, the classic decompression bomb (the issue's 4.2 MB file expanded to 8.3 GB);
- "empty docs": --docs docs of no tokens (4 bytes each once decompressed, ~390 bytes each
  inside spaCy);
- "real": a DocBin of real-sized docs (sentences of the seed articles when ../shared is
  there, generated ones otherwise), which must be read, and the time it takes.

Each child resets its peak RSS after its imports (/proc/self/clear_refs) and reports how far
the peak (VmHWM) rose above the RSS it had then: what reading the file cost, not the
interpreter or spaCy.

    python benchmarks/bench_docbin_bomb.py [--zeros 1024] [--docs 2000000]
"""

from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ORTH, SPACY = 65, 78  # spaCy attribute ids (spacy.attrs)

CHILD = r"""
import json, sys, time
from pathlib import Path
side, path = sys.argv[1], Path(sys.argv[2])
from spacy.tokens import DocBin
from spacy.vocab import Vocab
from annotator.formats import docbin
def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])  # KiB
Path("/proc/self/clear_refs").write_text("5")  # peak RSS (VmHWM) starts again from here
start_rss = status("VmRSS")
start = time.perf_counter()
outcome = ""
try:
    if side == "bare":
        docs = sum(1 for _ in DocBin(store_user_data=True).from_bytes(path.read_bytes()).get_docs(Vocab()))
        outcome = f"read {docs} docs"
    elif side == "check":
        docbin.checked_bytes(path)
        outcome = "passed the check"
    else:
        items = list(docbin.read(path))
        errors = [str(i) for i in items if isinstance(i, Exception)]
        outcome = ("refused: " + errors[0].split(": ", 1)[1][:90]) if errors else f"read {len(items)} docs"
except MemoryError:
    outcome = "MemoryError"
except Exception as exc:
    outcome = "refused: " + str(exc).split(": ", 1)[1][:90]
seconds = time.perf_counter() - start
grown = status("VmHWM") - start_rss
print(json.dumps({"mib": grown / 1024, "seconds": seconds, "outcome": outcome}))
"""


def _msgpack_bin_header(size: int) -> bytes:
    return b"\xc6" + struct.pack(">I", size)


def _msgpack_str(text: str) -> bytes:
    data = text.encode()
    return bytes([0xA0 | len(data)]) + data


def write_zero_tokens_bomb(path: Path, mib: int) -> None:
    """A DocBin whose token table is ``mib`` MiB of zeros: one doc claiming all of them."""
    size = mib * 1024 * 1024
    tokens = size // 16  # two attributes of 8 bytes per token
    head = (
        b"\x87"
        + _msgpack_str("cats")
        + b"\x91\x80"
        + _msgpack_str("flags")
        + b"\x91\x80"
        + _msgpack_str("attrs")
        + bytes([0x92, ORTH, SPACY])
        + _msgpack_str("lengths")
        + _msgpack_bin_header(4)
        + struct.pack("<i", tokens)
        + _msgpack_str("tokens")
        + _msgpack_bin_header(size)
    )
    packer = zlib.compressobj(9)
    zeros = bytes(1024 * 1024)

    def put_zeros(out, count: int) -> None:
        for _ in range(count // len(zeros)):
            out.write(packer.compress(zeros))
        out.write(packer.compress(bytes(count % len(zeros))))

    with path.open("wb") as out:
        out.write(packer.compress(head))
        put_zeros(out, size)
        out.write(packer.compress(_msgpack_str("spaces") + _msgpack_bin_header(tokens)))
        put_zeros(out, tokens)  # one "no space after" flag per token
        out.write(packer.compress(_msgpack_str("strings") + b"\x90"))
        out.write(packer.flush())


def write_empty_docs(path: Path, docs: int) -> None:
    """A DocBin of ``docs`` docs without tokens (a valid file: spaCy reads it)."""
    packer = zlib.compressobj(9)
    with path.open("wb") as out:

        def put(data: bytes) -> None:
            out.write(packer.compress(data))

        put(b"\x88" + _msgpack_str("attrs") + bytes([0x92, ORTH, SPACY]))
        put(_msgpack_str("tokens") + _msgpack_bin_header(0))
        put(_msgpack_str("spaces") + _msgpack_bin_header(0))
        put(_msgpack_str("lengths") + _msgpack_bin_header(4 * docs))
        for _ in range(docs // 100_000):
            put(bytes(4 * 100_000))
        put(bytes(4 * (docs % 100_000)))
        put(_msgpack_str("strings") + b"\x90")
        for field, item in (("cats", b"\x80"), ("flags", b"\x80"), ("span_groups", b"\xc4\x00")):
            put(_msgpack_str(field) + b"\xdd" + struct.pack(">I", docs))
            for _ in range(docs // 100_000):
                put(item * 100_000)
            put(item * (docs % 100_000))
        out.write(packer.flush())


def write_real(path: Path, copies: int) -> int:
    """A DocBin written by spaCy of real-sized docs; returns how many."""
    import spacy
    from spacy.tokens import DocBin

    seeds = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "seeds"
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))]
    if not texts:
        texts = [
            f"Report {i}: forces shelled the village north of Idlib on Thursday." * 20
            for i in range(5)
        ]
    nlp = spacy.blank("en")
    doc_bin = DocBin(attrs=["ENT_IOB", "ENT_TYPE"], store_user_data=True)
    for i in range(copies):
        for text in texts:
            doc = nlp.make_doc(f"{i} {text}")
            doc.user_data["annotator"] = {"status": "done", "meta": {"n": i}}
            doc_bin.add(doc)
    path.write_bytes(doc_bin.to_bytes())
    return len(doc_bin)


def run(side: str, path: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, side, str(path)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        return {"mib": float("nan"), "seconds": 0.0, "outcome": f"died ({proc.returncode})"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zeros", type=int, default=1024, help="MiB of zeros in the bomb")
    parser.add_argument("--docs", type=int, default=2_000_000, help="empty docs")
    parser.add_argument("--copies", type=int, default=100, help="copies of the real docs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = {
            "zero tokens": Path(folder) / "zeros.spacy",
            "empty docs": Path(folder) / "empty.spacy",
            "real": Path(folder) / "real.spacy",
        }
        write_zero_tokens_bomb(files["zero tokens"], args.zeros)
        write_empty_docs(files["empty docs"], args.docs)
        real_docs = write_real(files["real"], args.copies)
        print(f"real file: {real_docs} docs")
        print(f"{'file':<12} {'size':>10}  {'side':<10} {'peak MiB':>9} {'s':>6}  outcome")
        for name, path in files.items():
            size = path.stat().st_size
            sides = ("bare", "annotator") + (("check",) if name == "real" else ())
            results = {side: run(side, path) for side in sides}
            for side, result in results.items():
                print(
                    f"{name:<12} {size / 1024:>8.0f}KB  {side:<10} {result['mib']:>9.1f} "
                    f"{result['seconds']:>6.2f}  {result['outcome']}"
                )
            bare, ours = results["bare"], results["annotator"]
            if bare["mib"] == bare["mib"] and ours["mib"] > 0:
                print(f"{'':<12} memory ratio bare/annotator: {bare['mib'] / ours['mib']:.1f}x")
            if name == "real" and bare["seconds"]:
                check = results["check"]["seconds"] / bare["seconds"]
                print(f"{'':<12} time of the check alone / bare spaCy read: {check:.2f}x")


if __name__ == "__main__":
    main()
