#!/usr/bin/env python3
"""TensorBoard's own reader reads what `latent train --tensorboard DIR` writes (Scripts/test.sh runs this).

Trains a VAE for 2 epochs with --tensorboard and checks with tensorboard's EventAccumulator (which checks every
record's CRC-32C): a train/loss point per step, with train/reconstruction and train/kl adding up to it (also on the
graph engine with 2 workers), each epoch's train and test loss and test terms equal to
metrics.jsonl (to float32 precision) at the step count reached, the learning rate, and the samples and
reconstructions pictures of each epoch. Prints one JSON object; exits 1 on the first failure.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def fail(message):
    print(f"check_events: {message}", file=sys.stderr)
    sys.exit(1)


def close(a, b):
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latent", default=os.path.abspath(".build/release/latent"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        run, logs = f"{work}/run", f"{work}/logs"
        subprocess.run([args.latent, "train", "--epochs", "2", "--seed", "1", "--out", run, "--tensorboard", logs,
                        "--no-progress"], check=True, capture_output=True)
        metrics = [json.loads(line) for line in open(f"{run}/metrics.jsonl")]
        events = EventAccumulator(logs, size_guidance={"scalars": 0, "images": 0})
        events.Reload()
        steps = events.Scalars("train/loss")
        per_epoch = 60000 // 128 + (60000 % 128 > 0)
        if [s.step for s in steps] != list(range(1, 2 * per_epoch + 1)):
            fail(f"train/loss has {len(steps)} points, steps {steps[0].step}…{steps[-1].step}")
        check_terms(events, steps, "planned")
        for key, tag in [("train_loss", "epoch/train_loss"), ("test_loss", "epoch/test_loss")]:
            points = events.Scalars(tag)
            for epoch, (point, row) in enumerate(zip(points, metrics), 1):
                if point.step != epoch * per_epoch or not close(point.value, row[key]):
                    fail(f"{tag} at epoch {epoch}: step {point.step}, {point.value} against {row[key]}")
        for term in metrics[0]["test_terms"]:
            values = [p.value for p in events.Scalars(f"epoch/test_{term}")]
            if not all(close(v, row["test_terms"][term]) for v, row in zip(values, metrics)) or len(values) != 2:
                fail(f"epoch/test_{term}: {values}")
        if [p.value for p in events.Scalars("epoch/learning_rate")] != [0.0010000000474974513] * 2:
            fail("epoch/learning_rate is not 1e-3")
        pictures = {}
        for tag in ["samples", "reconstructions"]:
            images = events.Images(tag)
            if len(images) != 2 or not images[0].encoded_image_string.startswith(b"\x89PNG"):
                fail(f"{tag}: {len(images)} pictures")
            pictures[tag] = f"{images[0].width}x{images[0].height}"
        # The graph engine on 2 data-parallel workers reports the same terms.
        subprocess.run([args.latent, "train", "--epochs", "1", "--limit", "1280", "--seed", "1", "--out", f"{work}/g",
                        "--tensorboard", f"{work}/g-logs", "--engine", "graph", "--threads", "2", "--no-progress"],
                       check=True, capture_output=True)
        graph = EventAccumulator(f"{work}/g-logs", size_guidance={"scalars": 0})
        graph.Reload()
        check_terms(graph, graph.Scalars("train/loss"), "graph")
    print(json.dumps({"train_loss_points": len(steps), "epochs": len(metrics), "pictures": pictures,
                      "scalar_tags": len(events.Tags()["scalars"])}))


def check_terms(events, steps, engine):
    """Each step's train/reconstruction and train/kl (per example) add up to its train/loss (the KL weight is 1)."""
    reconstruction, kl = events.Scalars("train/reconstruction"), events.Scalars("train/kl")
    if [p.step for p in reconstruction] != [s.step for s in steps] or [p.step for p in kl] != [s.step for s in steps]:
        fail(f"{engine}: train/reconstruction and train/kl are not at every step of train/loss")
    for r, k, s in zip(reconstruction, kl, steps):
        if not (abs(r.value + k.value - s.value) <= 1e-5 * abs(s.value) and 0 < k.value < r.value):
            fail(f"{engine}: step {s.step}: reconstruction {r.value} + kl {k.value} is not the loss {s.value}")


if __name__ == "__main__":
    main()
