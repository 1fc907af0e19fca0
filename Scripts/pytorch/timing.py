"""The timed runs both PyTorch reference scripts report (`--bench-steps`), as Latent's `latent bench` does:
six runs of `steps` training steps, the first a warm-up, the median of the other five."""
import json
import resource
import time

import torch


def bench(step, batch_at, batch_size, steps, threads):
    """Times `step(batch_at(i))` for i in 0..<steps, six times; prints one JSON line."""
    rates = []
    for _ in range(6):
        start = time.perf_counter()
        for i in range(steps):
            step(batch_at(i))
        rates.append(steps * batch_size / (time.perf_counter() - start))
    rates = sorted(rates[1:])  # the first run is warm-up
    print(json.dumps({"framework": "pytorch", "version": torch.__version__, "threads": threads,
                      "images_per_second": rates[len(rates) // 2], "runs": rates,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
