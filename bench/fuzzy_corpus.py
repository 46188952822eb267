"""The fuzzy dedup benchmark's corpus, ground truth and metric (no peer library imported here).

* `collect_sources` picks distinct real files of this machine (Python stdlib `.py` of the pyenv
  interpreters, C headers of /usr/include): one file per relative path, distinct by content (SHA-256),
  valid UTF-8, no NUL, 200 B .. 256 KB.
* `plant_near_duplicates` gives a share of them 1..3 edited copies, each at a known edit rate, either
  token-level (each token replaced with probability `rate`) or line-level (each line deleted, replaced or
  followed by an inserted line with probability `rate`). Every text of the corpus is distinct.
* `exact_similar_pairs` is the ground truth: every pair of files whose *exact* Jaccard similarity of
  `codelake.fuzzy_dedup.shingles.shingles(text, 5)` sets is >= the threshold, over all pairs of the corpus
  (not only the tools' candidates): an exact all-pairs similarity join with prefix filtering on the shingles'
  64-bit hashes finds every such pair, then each candidate is verified on the Python sets of shingle strings.
* `score` is the file-level metric (see its docstring).

Everything is deterministic for a given seed and set of source files.
"""

from __future__ import annotations

import hashlib
import math
import random
import sysconfig
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from codelake.fuzzy_dedup.shingles import shingle_hashes, shingles

NGRAM = 5
THRESHOLD = 0.8
EDIT_RATES = (0.01, 0.03, 0.05, 0.10, 0.20, 0.30)
EDIT_MODES = ("token", "line")
MIN_BYTES, MAX_BYTES = 200, 256 * 1024
_TOKEN = re.compile(r"[0-9A-Za-z_\u0080-\U0010FFFF]+|[!-/:-@\[-\^`{-~]")
_PUNCT = "+-*/%<>=!&|^~:;,.?@"
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


# --------------------------------------------------------------------------- corpus


@dataclass
class Doc:
    key: str  # unique: "<repo folder>/<path>"
    repo: str  # repo folder, e.g. "r0003"
    path: str  # path inside the repository
    text: str
    origin: str | None = None  # key of the file this one is an edited copy of
    mode: str | None = None  # "token" or "line" for a planted copy
    rate: float | None = None  # its edit rate

    @property
    def nbytes(self) -> int:
        return len(self.text.encode("utf-8"))


@dataclass
class Corpus:
    docs: list[Doc]
    stars: dict[str, int] = field(default_factory=dict)  # repo folder -> distinct star count
    seed: int = 0

    @property
    def nbytes(self) -> int:
        return sum(d.nbytes for d in self.docs)

    def planted_pairs(self) -> list[tuple[int, int, str, float]]:
        """(index of original, index of copy, mode, rate) of every planted copy."""
        index = {d.key: i for i, d in enumerate(self.docs)}
        return [(index[d.origin], i, d.mode, d.rate) for i, d in enumerate(self.docs) if d.origin]


def default_source_roots() -> list[tuple[Path, str]]:
    """(root, glob) pairs: every pyenv CPython's stdlib .py files, the running environment's installed
    packages (a large corpus needs them: the stdlibs and headers alone give ~90 MB) and the C headers under
    /usr/include."""
    roots = [(Path(p), "**/*.py") for p in sorted(Path("/").glob("root/.pyenv/versions/3.*/lib/python3.*"))]
    roots += [(Path(p), "**/*.py") for p in sorted(Path("/usr/lib").glob("python3.*"))]
    roots.append((Path(sysconfig.get_paths()["purelib"]), "**/*.py"))
    roots.append((Path("/usr/include"), "**/*.h"))
    return roots


def collect_sources(
    max_files: int, seed: int = 0, roots: Sequence[tuple[Path, str]] | None = None, max_total_bytes: int | None = None
) -> list[tuple[str, str]]:
    """(relative path, text) of up to `max_files` distinct files, about half Python and half C headers.

    One file per relative path (the stdlib of several interpreter versions holds near-copies of every
    module: a random version is taken) and one per content; package folders (`site-packages`) inside a
    root are skipped, so installed packages come only from a root that is such a folder itself."""
    by_kind: dict[str, dict[str, list[Path]]] = {}
    for root, pattern in roots if roots is not None else default_source_roots():
        if not root.is_dir():
            continue
        kind = pattern.rsplit(".", 1)[-1]
        for path in root.glob(pattern):
            rel_parts = path.relative_to(root).parts
            if "site-packages" in rel_parts or "dist-packages" in rel_parts or path.is_symlink() or not path.is_file():
                continue
            rel = "/".join(rel_parts)
            by_kind.setdefault(kind, {}).setdefault(rel, []).append(path)
    rng = random.Random(seed)
    pools = []
    for kind in sorted(by_kind):
        rels = sorted(by_kind[kind])
        rng.shuffle(rels)
        pools.append((kind, rels, by_kind[kind]))
    picked: list[tuple[str, str]] = []
    seen: set[str] = set()
    total = 0
    cursors = [0] * len(pools)
    while len(picked) < max_files and any(c < len(p[1]) for c, p in zip(cursors, pools)):
        for n, (_kind, rels, paths) in enumerate(pools):  # round robin over kinds: a mix of languages
            if len(picked) >= max_files or cursors[n] >= len(rels):
                continue
            rel = rels[cursors[n]]
            cursors[n] += 1
            path = rng.choice(sorted(paths[rel]))
            try:
                size = path.stat().st_size
                if not MIN_BYTES <= size <= MAX_BYTES:
                    continue
                data = path.read_bytes()
                text = data.decode("utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            digest = hashlib.sha256(data).hexdigest()
            if b"\0" in data or digest in seen or not shingles(text, NGRAM):
                continue
            seen.add(digest)
            picked.append((rel, text))
            total += len(data)
            if max_total_bytes is not None and total >= max_total_bytes:
                return picked
    return picked


def edit_tokens(text: str, rate: float, rng: random.Random) -> str:
    """Replace each token with probability `rate` (at least one): a word by a new word, punctuation by other
    punctuation. Token count and separators stay, so about (1-rate)^5 of the 5-gram shingles survive."""
    spans = [m.span() for m in _TOKEN.finditer(text)]
    if not spans:
        return text + " x"
    chosen = [i for i in range(len(spans)) if rng.random() < rate] or [rng.randrange(len(spans))]
    out, last = [], 0
    for i in chosen:
        start, end = spans[i]
        old = text[start:end]
        if len(old) == 1 and not (old.isalnum() or old == "_" or ord(old) >= 0x80):
            new = rng.choice([c for c in _PUNCT if c != old])
        else:
            new = "q" + "".join(rng.choice(_LETTERS) for _ in range(6))
        out += [text[last:start], new]
        last = end
    out.append(text[last:])
    return "".join(out)


def _random_line(rng: random.Random) -> str:
    words = ["".join(rng.choice(_LETTERS) for _ in range(rng.randint(3, 8))) for _ in range(rng.randint(2, 6))]
    return f"    {words[0]} = {'('.join(words[1:])}{')' * (len(words) - 2)}"


def edit_lines(text: str, rate: float, rng: random.Random) -> str:
    """Each line, with probability `rate` (at least one): deleted, replaced by a made-up line, or followed by one."""
    lines = text.split("\n")
    chosen = {i for i in range(len(lines)) if rng.random() < rate} or {rng.randrange(len(lines))}
    out = []
    for i, line in enumerate(lines):
        if i not in chosen:
            out.append(line)
            continue
        op = rng.choice(("delete", "replace", "insert"))
        if op == "replace":
            out.append(_random_line(rng))
        elif op == "insert":
            out += [line, _random_line(rng)]
    return "\n".join(out)


def expected_token_jaccard(rate: float, ngram: int = NGRAM) -> float:
    """Jaccard of a text and its token-edited copy, if shingles were distinct and edits independent."""
    kept = (1 - rate) ** ngram
    return kept / (2 - kept)


def plant_near_duplicates(
    sources: Sequence[tuple[str, str]],
    seed: int = 0,
    share: float = 0.15,
    files_per_repo: int = 25,
    rates: Sequence[float] = EDIT_RATES,
    modes: Sequence[str] = EDIT_MODES,
) -> Corpus:
    """The corpus: sources grouped into repositories, plus for `share` of them 1..3 edited copies, each copy
    in a 'fork' repository of its own group. Repositories get distinct star counts. Texts are all distinct."""
    rng = random.Random(f"plant-{seed}")
    docs: list[Doc] = []
    seen: set[str] = set()
    for n, (rel, text) in enumerate(sources):
        repo = f"r{n // files_per_repo:04d}"
        docs.append(Doc(f"{repo}/{rel}", repo, rel, text))
        seen.add(text)
    originals = list(docs)
    chosen = sorted(rng.sample(range(len(originals)), round(share * len(originals))))
    copies: list[Doc] = []
    for n in chosen:
        base = originals[n]
        for c in range(rng.randint(1, 3)):
            mode, rate = rng.choice(list(modes)), rng.choice(list(rates))
            for _attempt in range(10):
                text = (edit_tokens if mode == "token" else edit_lines)(base.text, rate, rng)
                if text not in seen and shingles(text, NGRAM):
                    break
            else:
                continue
            seen.add(text)
            repo = f"f{c}-{base.repo}"
            copies.append(Doc(f"{repo}/{base.path}", repo, base.path, text, base.key, mode, rate))
    docs += copies
    repos = sorted({d.repo for d in docs})
    stars = list(range(1, 10 * len(repos) + 1, 10))
    rng.shuffle(stars)
    return Corpus(docs, dict(zip(repos, stars)), seed)


def build_corpus(files: int, seed: int = 0, share: float = 0.15, roots: Sequence[tuple[Path, str]] | None = None) -> Corpus:
    """About `files` files in all: originals plus planted copies (2 copies per planted original on average)."""
    originals = max(1, round(files / (1 + 2 * share)))
    return plant_near_duplicates(collect_sources(originals, seed, roots), seed, share)


# --------------------------------------------------------------------------- writing it out


def manifest(name: str, stars: int) -> bytes:
    import json

    return json.dumps({"name": name, "stars": stars, "last_commit": "2024-01-01T00:00:00Z", "license": "MIT", "source": "bench"}).encode()


def write_dump(corpus: Corpus, root: Path) -> Path:
    """A codelake crawl dump folder: one folder per repository with its `.codelake.json`, then `_SUCCESS`."""
    root.mkdir(parents=True, exist_ok=True)
    for repo, stars in corpus.stars.items():
        (root / repo).mkdir(parents=True, exist_ok=True)
        (root / repo / ".codelake.json").write_bytes(manifest(f"bench/{repo}", stars))
    for d in corpus.docs:
        path = root / d.repo / d.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(d.text.encode("utf-8"))
    (root / "_SUCCESS").write_bytes(b"")
    return root


def write_jsonl(corpus: Corpus, folder: Path, parts: int = 2) -> list[Path]:
    """The corpus as `parts` JSON-lines files (`{"id": key, "text": ...}`), doc i in part i % parts."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"part-{p:02d}.jsonl" for p in range(parts)]
    handles = [p.open("w", encoding="utf-8") for p in paths]
    try:
        for i, d in enumerate(corpus.docs):
            handles[i % parts].write(json.dumps({"id": d.key, "text": d.text}) + "\n")
    finally:
        for h in handles:
            h.close()
    return paths


# --------------------------------------------------------------------------- ground truth


def exact_jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


class ShingleSets:
    """Exact shingle sets (`set(shingles(text, 5))`), computed on demand and cached."""

    def __init__(self, texts: Sequence[str], ngram: int = NGRAM) -> None:
        self.texts, self.ngram, self._cache = texts, ngram, {}

    def __getitem__(self, i: int) -> set[str]:
        if i not in self._cache:
            self._cache[i] = set(shingles(self.texts[i], self.ngram))
        return self._cache[i]

    def jaccard(self, i: int, j: int) -> float:
        return exact_jaccard(self[i], self[j])


def exact_similar_pairs(
    texts: Sequence[str], threshold: float = THRESHOLD, ngram: int = NGRAM, sets: ShingleSets | None = None
) -> dict[tuple[int, int], float]:
    """Every pair (i < j) with exact Jaccard >= threshold, with its Jaccard.

    All-pairs similarity join with prefix filtering (Chaudhuri et al. 2006): tokens (64-bit shingle hashes)
    ordered by ascending document frequency; two sets x, y with J >= t share a token within the first
    |x| - ceil(t|x|) + 1 tokens of x and of y, and t|x| <= |y| <= |x|/t. Candidates are then verified exactly."""
    sets = sets or ShingleSets(texts, ngram)
    hashed = [shingle_hashes(t, ngram) for t in texts]
    sizes = np.array([h.size for h in hashed])
    if not hashed:
        return {}
    allh = np.concatenate(hashed)
    uniq, df = np.unique(allh, return_counts=True)
    tokens, docs = [], []
    for i, h in enumerate(hashed):
        if h.size == 0:
            continue
        freq = df[np.searchsorted(uniq, h)]
        order = np.lexsort((h, freq))
        p = h.size - math.ceil(threshold * h.size - 1e-9) + 1
        tokens.append(h[order[:p]])
        docs.append(np.full(p, i, dtype=np.int64))
    tokens_a, docs_a = np.concatenate(tokens), np.concatenate(docs)
    order = np.lexsort((docs_a, tokens_a))
    tokens_a, docs_a = tokens_a[order], docs_a[order]
    bounds = np.flatnonzero(np.diff(tokens_a)) + 1
    candidates: set[tuple[int, int]] = set()
    for group in np.split(docs_a, bounds):
        if group.size < 2:
            continue
        g = np.unique(group)
        for a in range(g.size):
            for b in range(a + 1, g.size):
                candidates.add((int(g[a]), int(g[b])))
    out = {}
    for i, j in sorted(candidates):
        small, large = sorted((sizes[i], sizes[j]))
        if small < threshold * large - 1e-9:
            continue
        jac = sets.jaccard(i, j)
        if jac >= threshold:
            out[(i, j)] = jac
    return out


def components(n: int, pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Connected components of size >= 2 (sorted members, sorted by first member)."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for x in range(n):
        groups.setdefault(find(x), []).append(x)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: g[0])


def removed_by_clusters(n: int, pairs: Iterable[tuple[int, int]]) -> set[int]:
    """What a tool removes from its candidate pairs: all but the smallest index of every component."""
    return {x for g in components(n, pairs) for x in g[1:]}


# --------------------------------------------------------------------------- metric


def score(removed: Iterable[int], clusters: Sequence[Sequence[int]]) -> dict:
    """File-level precision, recall and F1 of a tool's removed files against the true clusters.

    A true cluster C (a connected component, size >= 2, of the pairs with exact Jaccard >= threshold) should
    lose exactly |C|-1 files, any |C|-1 of them: which member survives is never held against a tool.
      correct   = sum over true clusters of min(|removed & C|, |C| - 1)
      precision = correct / |removed|       (1.0 when nothing is removed)
      recall    = correct / sum(|C| - 1)    (1.0 when there is nothing to remove)
      F1        = 2PR / (P + R)
    So removing a file outside every true cluster, or every member of a cluster (its survivor too), costs
    precision; keeping two members of a true cluster costs recall."""
    removed = set(removed)
    correct = sum(min(len(removed.intersection(c)), len(c) - 1) for c in clusters)
    should = sum(len(c) - 1 for c in clusters)
    precision = correct / len(removed) if removed else 1.0
    recall = correct / should if should else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"removed": len(removed), "correct": correct, "should_remove": should, "precision": precision, "recall": recall, "f1": f1}


def corpus_summary(corpus: Corpus) -> dict:
    planted = corpus.planted_pairs()
    return {
        "files": len(corpus.docs),
        "bytes": corpus.nbytes,
        "originals": sum(1 for d in corpus.docs if d.origin is None),
        "planted_copies": len(planted),
        "planted_originals": len({p[0] for p in planted}),
        "python_files": sum(1 for d in corpus.docs if d.path.endswith(".py")),
        "c_headers": sum(1 for d in corpus.docs if d.path.endswith(".h")),
        "repos": len(corpus.stars),
    }
