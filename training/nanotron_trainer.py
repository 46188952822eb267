"""Nanotron's DistributedTrainer with per-step metrics reported on rank 0 and `.ds` data.

Imported only after `training.nanotron_cpu.apply()` (it imports Nanotron)."""

import time
from typing import Callable

import torch
from nanotron import distributed as dist
from nanotron.trainer import DistributedTrainer

from training.ds_batches import DsFolders, micro_batches


class CodelakeTrainer(DistributedTrainer):
    def __init__(self, *args, on_step: Callable[[dict], None], **kwargs):
        self.on_step = on_step
        super().__init__(*args, **kwargs)

    def datatrove_batches(self):
        codelake = self.config.codelake
        data = DsFolders(codelake.data_folders, self.sequence_length, codelake.token_size, loss_masks=codelake.loss_on == "assistant")
        self.data_summary = data.summary  # what the loss was taken on, for the run's result
        model = self.unwrapped_model
        return micro_batches(
            data,
            micro_batch=self.micro_batch_size,
            dp_rank=dist.get_rank(self.parallel_context.dp_pg),
            dp_size=self.parallel_context.dp_pg.size(),
            consumed_samples=self.consumed_train_samples,
            pp_rank=dist.get_rank(self.parallel_context.pp_pg),
            input_pp_rank=model.input_pp_rank,
            output_pp_rank=model.output_pp_rank,
        )

    def training_step(self, dataloader):
        # Nanotron logs the lr after the scheduler stepped (the next step's); the curve wants this step's.
        self.lr_of_step = self.lr_scheduler.get_last_lr()[0]
        return super().training_step(dataloader)

    def train_step_logs(self, outputs, loss_avg) -> None:
        elapsed = time.time() - self.iteration_start_time
        super().train_step_logs(outputs=outputs, loss_avg=loss_avg)
        # The loss lives on the last pipeline stage; every rank joins one broadcast from its first rank.
        reporter = int(self.logger_ranks[0])
        device = "cuda" if torch.cuda.is_available() else "cpu"
        values = torch.zeros(2, dtype=torch.float64, device=device)
        if dist.get_rank(self.parallel_context.world_pg) == reporter:
            values[0], values[1] = float(loss_avg.item()), elapsed
        torch.distributed.broadcast(values, src=reporter)
        if dist.get_rank(self.parallel_context.world_pg) != 0:
            return
        loss, elapsed = values.tolist()
        tokens = self.global_batch_size * self.sequence_length
        self.on_step(
            {
                "step": self.iteration_step,
                "loss": loss,
                "lr": self.lr_of_step,
                "tokens_per_s": tokens / elapsed,
                "step_s": elapsed,
                "consumed_tokens": self.consumed_train_samples * self.sequence_length,
                "time": time.time(),
            }
        )
