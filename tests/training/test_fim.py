"""FIM and repository samples: exact formats, the split covers the whole file, draws are reproducible
and hit the configured rates."""

from __future__ import annotations

from training.fim import PLAIN, PSM, SPM, SpecialIds, file_sample, fim_mode, repo_sample

IDS = SpecialIds(eot=0, fim_prefix=1, fim_middle=2, fim_suffix=3, repo_name=5, file_sep=6)
TEXT = "def add(a, b):\n    return a + b\n"


def test_psm_and_spm_orders_and_the_split_covers_the_file():
    for i in range(50):
        psm = file_sample(TEXT, PSM, IDS, ("seed", i))
        assert [psm[0], psm[2], psm[4], psm[6]] == [1, 3, 2, 0]
        assert psm[1] + psm[5] + psm[3] == TEXT  # prefix + middle + suffix
        spm = file_sample(TEXT, SPM, IDS, ("seed", i))
        assert [spm[0], spm[2], spm[4], spm[6]] == [3, 1, 2, 0]
        assert spm[3] + spm[5] + spm[1] == TEXT
    assert file_sample(TEXT, PLAIN, IDS, ("seed", 0)) == [TEXT, 0]


def test_the_split_is_reproducible_per_key():
    assert file_sample(TEXT, PSM, IDS, ("s", "doc")) == file_sample(TEXT, PSM, IDS, ("s", "doc"))
    splits = {tuple(file_sample(TEXT, PSM, IDS, ("s", i))[1:4:2]) for i in range(40)}
    assert len(splits) > 10


def test_modes_hit_the_rates():
    modes = [fim_mode(0.5, 0.25, "seed", i) for i in range(4000)]
    fim = sum(m != PLAIN for m in modes) / len(modes)
    spm = sum(m == SPM for m in modes) / max(1, sum(m != PLAIN for m in modes))
    assert abs(fim - 0.5) < 0.03 and abs(spm - 0.25) < 0.04
    assert all(m == PLAIN for m in (fim_mode(0.0, 1.0, "s", i) for i in range(100)))


def test_repository_sample_format():
    files = [("a.py", "import b\n"), ("b.py", TEXT)]
    plain = repo_sample("owner/repo", files, PLAIN, IDS, ("s",))
    assert plain == [5, "owner/repo\n", 6, "a.py\n", "import b\n", 6, "b.py\n", TEXT, 0]
    fim = repo_sample("owner/repo", files, PSM, IDS, ("s",))
    assert fim[:7] == [5, "owner/repo\n", 6, "a.py\n", "import b\n", 6, "b.py\n"]
    assert [fim[7], fim[9], fim[11], fim[13]] == [1, 3, 2, 0] and fim[8] + fim[12] + fim[10] == TEXT
