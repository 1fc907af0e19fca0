"""What both PyTorch reference scripts share: the options every run takes (learning rate, seed, threads,
`--bench-steps`) and the timed runs they report, as Latent's `latent bench` does: six runs of `steps`
training steps, the first a warm-up, the median of the other five."""
import json
import resource
import time

import torch


def add_common_arguments(parser):
    """--lr, --seed, --threads and --bench-steps, as `latent train` and `latent bench` name them."""
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bench-steps", type=int, default=0, help="only time this many training steps, 6 times")


def parse(parser):
    """The parsed options, with PyTorch's thread count and seed set from them."""
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    return args


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
