"""pretrain_shards / annealing_shards: a token mixture with FIM, packed into datatrove .ds shards."""

from codelake.pretrain_shards.mixture import ANNEALING_MIXTURE, PRETRAIN_MIXTURE, MixtureSpec
from codelake.pretrain_shards.stage import run_pretrain_shards

__all__ = ["ANNEALING_MIXTURE", "PRETRAIN_MIXTURE", "MixtureSpec", "run_pretrain_shards"]
