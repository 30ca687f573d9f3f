"""Training across processes with torch.distributed (launched by `torchrun`): which process this is, its share of
each batch, and the gradient sum that makes N processes' shares of one batch train as one process on all of it.

Every process draws the whole batch's random numbers (so the input spikes are those of a single-process run) and
trains on its own contiguous share; each share's loss is a mean over its images, so the batch's gradient is the sum
over processes of (share size / batch size) × the share's gradient. Process 0 writes the run directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ProcessGroup:
    rank: int = 0
    world: int = 1

    @property
    def writer(self) -> bool:
        """Whether this process writes the run directory (checkpoints, metrics, results, figures)."""
        return self.rank == 0

    def share(self, batch: int) -> tuple[slice, float]:
        """(this process's slice of a batch of `batch` items, its size over `batch`): contiguous, sizes within 1."""
        start, stop = batch * self.rank // self.world, batch * (self.rank + 1) // self.world
        return slice(start, stop), (stop - start) / batch

    def combine(self, parameters, loss: float, weight: float) -> float:
        """Sum every parameter's gradient over the processes, each weighted by `weight` (its share of the batch);
        returns the batch's loss, the same weighted sum of `loss`."""
        import torch.distributed as dist

        grads = [p.grad for p in parameters if p.grad is not None]
        flat = torch.cat([g.reshape(-1) for g in grads] + [torch.tensor([loss], dtype=grads[0].dtype,
                                                                        device=grads[0].device)]) * weight
        dist.all_reduce(flat)
        offset = 0
        for g in grads:
            g.copy_(flat[offset:offset + g.numel()].view_as(g))
            offset += g.numel()
        return float(flat[-1])

    def barrier(self) -> None:
        if self.world > 1:
            import torch.distributed as dist

            dist.barrier()

    def close(self) -> None:
        if self.world > 1:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


def join_process_group(device: str = "cpu") -> ProcessGroup:
    """This process's place in the group `torchrun` started (its WORLD_SIZE, RANK and rendezvous variables): gloo on
    the cpu, nccl on cuda; a lone process when not launched that way."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return ProcessGroup()
    import torch.distributed as dist

    if not dist.is_initialized():
        if device == "cuda":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl" if device == "cuda" else "gloo")
    return ProcessGroup(dist.get_rank(), dist.get_world_size())
