#!/usr/bin/env python3
"""Latent's benchmark suite (issue 4): every case's speed (median of 5 timed runs after a warm-up), peak RSS,
and heap allocations per training step, as one Markdown table. Release builds; run from anywhere:

    python3 Scripts/benchmarks.py [--threads 2] [--quick]

Training cases (Scripts/bench_cases.tsv) run `latent bench --json --count-allocations` through
Scripts/count_allocations.sh, which preloads ordo-one's malloc interposer; t-SNE and IS-NLL are timed whole
with /usr/bin/time (wall seconds and maximum resident set). `--quick` takes 1 timed run per case instead of
5, for a smoke test.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LATENT = ROOT / ".build/release/latent"


def training_cases():
    """(name, latent bench options, steps per timed run) from Scripts/bench_cases.tsv, shared with the
    side-by-side runner."""
    for line in (ROOT / "Scripts/bench_cases.tsv").read_text().splitlines():
        if line and not line.startswith("#"):
            name, options, steps, *_ = line.split("\t")
            emoji = os.environ.get("LATENT_EMOJI", os.path.expanduser("~/.cache/latent/emoji"))
            if "$EMOJI" in options and not os.path.isdir(emoji):
                subprocess.run([sys.executable, str(ROOT / "Scripts/emoji/make_emoji.py"), emoji], check=True)
            yield name, options.replace("$EMOJI", emoji).split(), int(steps)


def timed(command):
    """Wall seconds and peak RSS (MB) of one command run under /usr/bin/time."""
    with tempfile.NamedTemporaryFile("r") as report:
        start = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name] + command, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        return seconds, int(report.read().strip().splitlines()[-1]) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 1 if args.quick else 5
    subprocess.run(["swift", "build", "-c", "release", "--product", "latent"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    threads = ["--threads", str(args.threads)]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"machine: {os.cpu_count()} cores, {cpu}; {args.threads} threads; "
          f"median of {runs} timed runs after a warm-up\n")
    print("| case | speed | peak RSS | heap allocations per step |")
    print("| --- | --- | --- | --- |")
    for name, options, steps in training_cases():
        # count_allocations.sh builds and preloads the interposer; options given after its defaults win.
        out = subprocess.run(["bash", "Scripts/count_allocations.sh", *options, *threads, "--steps", str(steps),
                              "--runs", str(runs), "--json"], cwd=ROOT, check=True, capture_output=True, text=True)
        r = json.loads(out.stdout)
        print(f"| {name} ({r['engine']}) | {r['images_per_second']:,.0f} images/s | {r['peak_rss_mb']:.0f} MB "
              f"| {r['allocations_per_step']:.0f} ({r['allocated_bytes_per_step']:,.0f} bytes) |", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tsne = [str(LATENT), "tsne", "--split", "test", *threads, "--out", f"{tmp}/tsne.npy"]
        results = [timed(tsne) for _ in range(runs + 1)][1:]
        seconds = statistics.median(s for s, _ in results)
        print(f"| t-SNE of 10,000 test images (PCA 50, Barnes-Hut, 750 iterations) | {seconds:.1f} s "
              f"({10000 / seconds:,.0f} points/s) "
              f"| {max(m for _, m in results):.0f} MB | n/a (not a training step) |", flush=True)
        model = f"{tmp}/vae"
        subprocess.run([str(LATENT), "train", "--epochs", "10", "--seed", "1", "--no-progress", *threads,
                        "--out", model],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        nll = [str(LATENT), "eval", model, "--iwae-k", "5000", "--images", "1000", *threads]
        results = [timed(nll) for _ in range(runs + 1)][1:]
        seconds = statistics.median(s for s, _ in results)
        print(f"| IS-NLL, K = 5000 on 1,000 test images (reference VAE, 10 epochs) | {seconds:.1f} s "
              f"({1000 / seconds:.1f} images/s) "
              f"| {max(m for _, m in results):.0f} MB | n/a (evaluation) |", flush=True)


if __name__ == "__main__":
    main()
