#!/usr/bin/env python3
"""A save is one transaction: killed or out of disk at any write, `--resume` continues (Scripts/test.sh).

  kill   `latent train` under strace, SIGKILLed as it enters each rename and each fsync of a save (strace's
         syscall fault injection; which calls belong to the saves is read off a traced run): the state's, the
         checkpoint's and the metrics' temporary files, their flushes and renames, in the first two saves (18);
         then `latent train --resume DIR --epochs 3` (or,
         when no epoch was complete, the same command again) must end with the weights of an uninterrupted run,
         byte for byte, every epoch's metrics line, and no temporary file left.
  full   the run directory on a small tmpfs (in a user and mount namespace: unshare -rm) filled by a ballast
         file so that the state, the checkpoint or the metrics of the first save, or the state of the second,
         finds the disk full; the run stops with one line, the last complete epoch's files stay whole, and after
         the ballast is removed `--resume` reaches the same weights.
Prints one JSON object of figures; exits 1 on the first failure.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

COMMON = ["--seed", "1", "--limit", "2000", "--hidden", "32", "--latent", "4", "--threads", "1", "--no-progress"]


def fail(message):
    print(f"check_saves: {message}", file=sys.stderr)
    sys.exit(1)


def run(command, **options):
    return subprocess.run(command, capture_output=True, text=True, timeout=300, **options)


def finish(latent, out, case):
    """Continues the run in `out` to 3 epochs (or starts it again when nothing was saved); returns the model."""
    if os.path.exists(f"{out}/training-state.safetensors"):
        result = run(latent + ["train", "--resume", out, "--epochs", "3", "--no-progress"])
    else:
        result = run(latent + ["train", *COMMON, "--epochs", "3", "--out", out])
    if result.returncode != 0:
        fail(f"{case}: continuing failed:\n{result.stderr[-1500:]}")
    left = [name for name in os.listdir(out) if ".tmp-" in name]
    if left:
        fail(f"{case}: temporary files left behind: {left}")
    lines = open(f"{out}/metrics.jsonl").read().splitlines()
    if [json.loads(line)["epoch"] for line in lines] != [1, 2, 3]:
        fail(f"{case}: metrics.jsonl holds epochs {[json.loads(line)['epoch'] for line in lines]}")
    return open(f"{out}/model.safetensors", "rb").read(), result.stdout + result.stderr


def save_writes(latent, work):
    """The atomic writes of the first two saves, as (label, its rename numbers, its fsync number), read off a
    traced run. Each atomic write is: Foundation creates the temporary file (a rename), write, fsync, rename into
    place; so the w-th write makes renames 2w-1 and 2w and fsync w."""
    trace = f"{work}/trace"
    run(["strace", "-f", "-o", trace, "-e", "trace=rename"] + latent
        + ["train", *COMMON, "--epochs", "2", "--out", f"{work}/traced"])
    targets = [line.split('", "')[1].split('"')[0] for line in open(trace) if 'rename("' in line and "= 0" in line]
    writes, saved = [], {"training-state.safetensors": 0, "model.safetensors": 0, "metrics.jsonl": 0}
    for w in range(len(targets) // 2):
        name = os.path.basename(targets[2 * w + 1])
        if name in saved and saved[name] < 2:
            saved[name] += 1
            writes.append((f"{name} of save {saved[name]}", (2 * w + 1, 2 * w + 2), w + 1))
    if len(writes) != 6:
        fail(f"expected the 6 writes of two saves in the trace, found {writes}")
    return writes


def kills(latent, work, reference, writes):
    """SIGKILL as the process enters each rename and fsync of the first and the second save."""
    figures = {}
    points = []
    for label, renames, fsync in writes:
        points += [("rename", renames[0], f"{label}: creating the temporary file"),
                   ("fsync", fsync, f"{label}: flushing the temporary file"),
                   ("rename", renames[1], f"{label}: renaming it into place")]
    for call, k, label in points:
        case = f"kill at {call} {k} ({label})"
        out = f"{work}/kill-{call}-{k}"
        injected = ["strace", "-f", "-o", "/dev/null", "-e", f"trace={call}",
                    "-e", f"inject={call}:signal=KILL:when={k}"]
        result = run(injected + latent + ["train", *COMMON, "--epochs", "3", "--out", out])
        if result.returncode not in (-9, 128 + 9):  # strace ends as its tracee did: by SIGKILL
            fail(f"{case}: the training was not killed (exit {result.returncode})")
        model, notes = finish(latent, out, case)
        if model != reference:
            fail(f"{case}: the continued run's weights differ from an uninterrupted run's")
        completed = "was interrupted; completed it" in notes
        figures[case] = "same weights" + (" (save completed from the state)" if completed else "")
    return figures


def full_disks(latent, work, reference, sizes, writes):
    """A tmpfs filled so that each write of the first save, and the state of the second, finds no space."""
    state, model, metrics = sizes
    page = 4096
    pages = lambda n: (n + page - 1) // page * page  # noqa: E731 (tmpfs counts whole pages)
    own = 2 * page  # the run's marker and lock file, made before the first save
    cases = {  # free bytes left → the write that must fail
        "state of epoch 1": own + pages(state) - page,
        "checkpoint of epoch 1": own + pages(state) + pages(model) - page,
        "metrics of epoch 1": own + pages(state) + pages(model),
        "state of epoch 2": None,  # filled once epoch 1 is saved, while strace holds the second save back
    }
    figures = {}
    for case, free in cases.items():
        disk = f"{work}/disk-{len(figures)}"
        os.makedirs(disk)
        script = f"""
set -e
mount -t tmpfs -o size=64m tmpfs {disk}
fill() {{ avail=$(($(stat -f -c '%a*%S' {disk}))); fallocate -l $((avail - $1)) {disk}/ballast; }}
"""
        train = " ".join(latent + ["train", *COMMON, "--epochs", "3", "--out", f"{disk}/run"])
        if free is not None:
            script += f"fill {free}\n{train} 2> {work}/stderr-{len(figures)} && exit 3 || true\n"
        else:
            # The second save's first rename (the state's temporary file) is held back while the disk fills.
            first = writes[3][1][0]
            held = f"strace -f -o /dev/null -e trace=rename -e inject=rename:delay_enter=1500000:when={first} "
            script += f"""
{held}{train} 2> {work}/stderr-{len(figures)} &
job=$!
while ! grep -q '"epoch":1' {disk}/run/metrics.jsonl 2>/dev/null; do sleep 0.02; done
fill {pages(state) - page}
wait $job && exit 3 || true
"""
        script += f"""
test -f {disk}/run/model.safetensors && cp {disk}/run/model.safetensors {work}/kept-{len(figures)} || true
rm {disk}/ballast
"""
        script += " ".join(latent + ["train", "--resume", f"{disk}/run", "--epochs", "3", "--no-progress"]) \
            + f" 2> {work}/resumed-{len(figures)} || " \
            + " ".join(latent + ["train", *COMMON, "--epochs", "3", "--out", f"{disk}/run"]) \
            + f" 2>> {work}/resumed-{len(figures)}\n"
        script += f"cp {disk}/run/model.safetensors {work}/final-{len(figures)}\n"
        result = run(["unshare", "--user", "--map-root-user", "--mount", "bash", "-c", script])
        stderr = open(f"{work}/stderr-{len(figures)}").read() if os.path.exists(
            f"{work}/stderr-{len(figures)}") else ""
        if result.returncode == 3:
            fail(f"full disk at the {case}: the training did not fail")
        if result.returncode != 0:
            fail(f"full disk at the {case}: exit {result.returncode}\n{result.stderr[-1500:]}\n{stderr[-1500:]}")
        lines = [line for line in stderr.splitlines() if line.startswith("latent:")]
        if len(lines) != 1 or "space" not in lines[0]:
            fail(f"full disk at the {case}: expected one line about the full disk, got:\n{stderr[-1500:]}")
        if open(f"{work}/final-{len(figures)}", "rb").read() != reference:
            fail(f"full disk at the {case}: after freeing space, the continued run's weights differ")
        figures[case] = {"line": lines[0], "then": "same weights after --resume"}
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latent", default=os.path.abspath(".build/release/latent"))
    latent = [parser.parse_args().latent]
    started = time.time()
    with tempfile.TemporaryDirectory() as work:
        result = run(latent + ["train", *COMMON, "--epochs", "3", "--out", f"{work}/reference"])
        if result.returncode != 0:
            fail(f"the reference run failed:\n{result.stderr[-1500:]}")
        reference = open(f"{work}/reference/model.safetensors", "rb").read()
        sizes = [os.path.getsize(f"{work}/reference/{name}")
                 for name in ("training-state.safetensors", "model.safetensors", "metrics.jsonl")]
        writes = save_writes(latent, work)
        figures = {"kill": kills(latent, work, reference, writes),
                   "full disk": full_disks(latent, work, reference, sizes, writes)}
    figures["seconds"] = round(time.time() - started, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
