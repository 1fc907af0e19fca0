#!/usr/bin/env python3
"""The tests of `latent serve` that need real clients (Scripts/test.sh runs them; docs/serve.md).

Trains two small models, serves each with the built `latent`, and checks:
  hostile   oversize bodies, huge counts, malformed JSON, NaN, wrong shapes and content types, path traversal,
            non-UTF-8 bytes, a slowloris client: each a 4xx or a closed connection, the server healthy after.
  cli       POST /decode of test codes equals `latent decode` of the same codes, bit for bit.
  contract  schemathesis against /openapi.json: no 5xx, no answer outside the schema (cases counted).
  browser   headless Chromium (Selenium): the map drew its points, hovering decodes, drawing reconstructs;
            with --screenshot the page is saved as a PNG.
  shutdown  SIGTERM stops the server cleanly (exit 0).
Prints one JSON object of figures; exits 1 on the first failure.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import urllib.error

import numpy as np


def fail(message):
    print(f"test_server: {message}", file=sys.stderr)
    sys.exit(1)


class Server:
    """`latent serve DIR --port 0`, its port read from the line it prints."""

    def __init__(self, latent, directory, *extra):
        # The request log goes to a file: a pipe nobody reads would fill and block the server's logging.
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log")
        self.process = subprocess.Popen(
            [latent, "serve", directory, "--port", "0", *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.process.stdout.readline()
        match = re.search(r"http://([^/]+):(\d+)/", line)
        if not match:
            self.log.seek(0)
            fail(f"latent serve printed {line!r}; stderr: {self.log.read()[-2000:]}")
        self.port = int(match.group(2))
        self.base = f"http://127.0.0.1:{self.port}"

    def request(self, method, path, body=None, content_type="application/json", timeout=10):
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None and content_type:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.headers.get("Content-Type"), response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type"), error.read()

    def json(self, method, path, body=None):
        status, _, data = self.request(method, path, body)
        return status, json.loads(data)

    def healthy(self):
        return self.request("GET", "/healthz")[0] == 200

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            fail("the server did not stop within 10 s of SIGTERM")
        self.log.seek(0)
        self.lines = len(self.log.read().splitlines())
        self.log.close()
        return code


def raw(port, payload, read_timeout=5):
    """Sends raw bytes; returns the status line (or '' when the server closed the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as s:
        s.sendall(payload)
        try:
            return s.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
        except (ConnectionResetError, socket.timeout):
            return ""


def expect_error(server, method, path, body, status, field=None, content_type="application/json"):
    got, _, data = server.request(method, path, body, content_type)
    if got != status:
        fail(f"{method} {path}: expected {status}, got {got}: {data[:200]!r}")
    answer = json.loads(data)
    if field is not None and answer.get("field") != field:
        fail(f"{method} {path}: expected the error to name {field!r}, got {answer}")


def hostile(server, latent_size):
    checks = 0
    expect_error(server, "POST", "/decode", b"{" + b" " * (17 << 20) + b"}", 413, "body"); checks += 1
    expect_error(server, "GET", "/sample?count=1000000000", None, 400, "count"); checks += 1
    expect_error(server, "GET", "/codes?limit=1000000000", None, 400, "limit"); checks += 1
    expect_error(server, "POST", "/decode", b'{"codes": [[0, 0', 400, "body"); checks += 1
    expect_error(server, "POST", "/decode", b'{"codes": [[NaN, 0]]}', 400); checks += 1
    expect_error(server, "POST", "/decode", {"codes": [[0.0] * (latent_size + 1)]}, 400, "codes"); checks += 1
    expect_error(server, "POST", "/decode", {"codes": [[1e30] * latent_size]}, 400, "codes"); checks += 1
    expect_error(server, "POST", "/decode", {"codes": [[0.0] * latent_size]}, 415, "Content-Type",
                 content_type="text/plain"); checks += 1
    expect_error(server, "POST", "/decode", {"code": [[0.0] * latent_size]}, 400, "code"); checks += 1
    expect_error(server, "POST", "/encode", {"pixels": [[0.5] * 783]}, 400, "pixels"); checks += 1
    expect_error(server, "POST", "/encode", b"\x89PNG\r\n\x1a\nnot really", 400, None, "image/png"); checks += 1
    expect_error(server, "POST", "/decode", b'{"codes\xff": [[0, 0]]}', 400); checks += 1
    expect_error(server, "DELETE", "/model", None, 405, "method"); checks += 1
    for path in ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/explorer.js/../../../etc/passwd",
                 "/..%2f..%2fetc%2fpasswd", "//etc/passwd"]:
        line = raw(server.port, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        if " 200 " in line:
            fail(f"GET {path}: answered {line}")
        checks += 1
    line = raw(server.port, b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n")
    if " 200 " in line:
        fail(f"a non-UTF-8 path was answered {line}")
    checks += 1
    # Slowloris: a header byte every second never completes a request; the idle timeout closes the connection
    # while other clients are served at once.
    slow = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    started, closed = time.time(), False
    while time.time() - started < 20:
        # Served while the slow client waits: a stalled server would time the request out (no wall-clock bound
        # of our own, which a loaded 2-core machine could break).
        if not server.healthy():
            fail("the server stalled while a slow client held a connection")
        try:
            slow.sendall(b"X")
            slow.settimeout(1)
            if slow.recv(4096) == b"":
                closed = True
                break
        except socket.timeout:
            continue
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
    slow.close()
    if not closed:
        fail("a slowloris connection was still open after 20 s")
    checks += 1
    if not server.healthy():
        fail("the server is not healthy after the hostile requests")
    return {"hostile_checks": checks, "slowloris_closed_after_s": round(time.time() - started, 1)}


def same_as_cli(server, latent, run, work):
    codes_csv = os.path.join(work, "codes.csv")
    subprocess.run([latent, "encode", run, "--out", codes_csv], check=True, capture_output=True)
    lines = open(codes_csv).read().splitlines()
    header, rows = lines[0].split(","), [line.split(",") for line in lines[1:9]]
    d = header.index("label")
    few = os.path.join(work, "few.csv")
    with open(few, "w") as f:
        f.write("\n".join([lines[0]] + lines[1:9]) + "\n")
    out = os.path.join(work, "decoded.npy")
    # The server multiplies on 1 thread per request (its default --threads 1); OpenBLAS's sums differ in the
    # last bit between thread counts, so the CLI decodes on 1 thread too.
    subprocess.run([latent, "decode", run, few, "--out", out, "--threads", "1"], check=True, capture_output=True)
    cli = np.load(out)
    # The codes go over the wire as the same decimal text the CLI read.
    body = '{"codes": [' + ",".join("[" + ",".join(r[:d]) + "]" for r in rows) + "]}"
    status, _, data = server.request("POST", "/decode", body.encode())
    if status != 200:
        fail(f"/decode answered {status}: {data[:200]!r}")
    served = np.array(json.loads(data)["pixels"], dtype=np.float32)
    if served.shape != cli.shape or not np.array_equal(served, cli):
        fail(f"/decode differs from latent decode: max |diff| {np.abs(served - cli).max()}")
    return {"decode_equals_cli": "bit for bit", "decode_rows_compared": int(cli.shape[0])}


# 413 (a body over the 16 MB limit, refused unread) counts as rejecting invalid data.
CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemathesis.toml")


def contract(server, examples, conditional):
    """schemathesis: every check on every operation; the check that schema-valid data is accepted skips the
    picture uploads (random bytes are valid by the schema but not a picture) and, for a CVAE, whose labels
    must match the rows in number (which JSON Schema cannot say)."""
    url = server.base + "/openapi.json"
    passes = [["--checks", "all", "--exclude-checks", "positive_data_acceptance"]]
    if not conditional:
        passes.append(["--checks", "positive_data_acceptance", "--exclude-path", "/encode",
                       "--exclude-path", "/reconstruct"])
    cases = 0
    for options in passes:
        result = subprocess.run(
            ["schemathesis", "--config-file", CONFIG, "run", url, "-n", str(examples), "--seed", "1", "--no-color",
             *options],
            capture_output=True, text=True, cwd=tempfile.gettempdir())  # its .schemathesis/ cache goes there
        match = re.search(r"(\d+) generated", result.stdout)
        if result.returncode != 0 or not match:
            # The failures section names the operation and the request (its body can be long: keep its start).
            start = result.stdout.find("FAILURES")
            failures = result.stdout[start:start + 6000] if start >= 0 else ""
            fail(f"schemathesis failed ({' '.join(options)}):\n{failures}\n…\n{result.stdout[-1500:]}\n"
                 f"{result.stderr[-2000:]}")
        cases += int(match.group(1))
    return cases


def explorer(server):
    """Headless Chromium on the explorer page, once its map has points: the driver and a 20 s waiter."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = Options()
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"]:
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.get(server.base + "/")
    wait = WebDriverWait(driver, 20)
    wait.until(lambda d: int(d.find_element(By.ID, "map").get_attribute("data-points")) > 0)
    return driver, wait


def browser(server, screenshot, picture):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver, wait = explorer(server)
    try:
        points = int(driver.find_element(By.ID, "map").get_attribute("data-points"))
        coloured = driver.execute_script("""
            const c = document.getElementById('map'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) n++;
            return n;""")
        if coloured < points:
            fail(f"the map has {points} points but only {coloured} coloured pixels")
        wait.until(lambda d: int(d.find_element(By.ID, "decoded").get_attribute("data-decodes")) > 0)
        decoded = driver.find_element(By.ID, "decoded")
        before, count = decoded.screenshot_as_base64, int(decoded.get_attribute("data-decodes"))
        map_canvas = driver.find_element(By.ID, "map")
        ActionChains(driver).move_to_element_with_offset(map_canvas, -150, -150).pause(0.3) \
            .move_to_element_with_offset(map_canvas, 140, 120).perform()
        wait.until(lambda d: int(d.find_element(By.ID, "decoded").get_attribute("data-decodes")) > count)
        time.sleep(0.3)
        if decoded.screenshot_as_base64 == before:
            fail("moving over the map did not change the decoded image")
        latency = driver.find_element(By.ID, "latency").text
        # The traversals of the decoded point: one row per code dimension, ten images each.
        wait.until(lambda d: int(d.find_element(By.ID, "traversal").get_attribute("data-traversals") or 0) > 0)
        size = driver.execute_script("const t = document.getElementById('traversal'); "
                                     "return [t.naturalWidth, t.naturalHeight];")
        latent_size = json.loads(urllib.request.urlopen(server.base + "/model").read())["latent"]
        if size[1] < latent_size * 28 or size[0] < 10 * 28:
            fail(f"the traversal picture is {size[0]}x{size[1]}, not {latent_size} rows of ten 28x28 images")
        pad = driver.find_element(By.ID, "pad")
        (ActionChains(driver).move_to_element_with_offset(pad, -20, -70).click_and_hold()
         .move_by_offset(30, 0).move_by_offset(0, 60).move_by_offset(-10, 70).release().perform())
        wait.until(lambda d: int(d.find_element(By.ID, "reconstruction").get_attribute("data-reconstructions")) > 0)
        lit = driver.execute_script("""
            const c = document.getElementById('reconstruction');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] > 60) n++; return n;""")
        if lit == 0:
            fail("the reconstruction of the drawing is blank")
        # A chosen picture (a sample the CLI drew) fills the pad and is reconstructed.
        count = int(driver.find_element(By.ID, "reconstruction").get_attribute("data-reconstructions"))
        driver.find_element(By.ID, "picture").send_keys(picture)
        wait.until(lambda d: d.find_element(By.ID, "pad").get_attribute("data-pictures") == "1")
        wait.until(lambda d: int(d.find_element(By.ID, "reconstruction").get_attribute("data-reconstructions")) > count)
        padded = driver.execute_script("""
            const c = document.getElementById('pad'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] > 60) n++; return n / (d.length / 4);""")
        if not 0.01 < padded < 0.9:
            fail(f"the chosen picture covers {padded:.1%} of the pad with bright pixels")
        ActionChains(driver).move_to_element_with_offset(map_canvas, -100, 80).click() \
            .move_to_element_with_offset(map_canvas, 120, -90).click().perform()
        wait.until(lambda d: d.find_element(By.ID, "strip").get_attribute("src").startswith("blob:"))
        time.sleep(0.5)
        if screenshot:
            driver.save_screenshot(screenshot)
        match = re.search(r"([\d.]+) ms", latency)
        return {"browser_points": points, "browser_decode_round_trip_ms": float(match.group(1)) if match else None,
                "browser_traversal_pixels": size}
    finally:
        driver.quit()


def named_table(latent, work):
    """A CVAE on a table of named classes with standard scaling: the API answers in the table's units and the
    explorer's class picker and legend show the names."""
    import random
    from selenium.webdriver.common.by import By

    rng, names = random.Random(3), ["setosa", "versicolor", "virginica"]
    table, run = os.path.join(work, "iris.csv"), os.path.join(work, "iris")
    with open(table, "w") as f:
        f.write("a,b,c,species\n")
        for r in range(150):
            f.write(",".join(f"{100 + 5 * (r % 3) + rng.gauss(0, 1):.3f}" for _ in range(3)) + f",{names[r % 3]}\n")
    subprocess.run([latent, "train", "--model", "cvae", "--data", table, "--label-column", "species", "--scale",
                    "standard", "--likelihood", "gaussian", "--hidden", "8", "--latent", "2", "--epochs", "3",
                    "--seed", "1", "--out", run], check=True, capture_output=True)
    server = Server(latent, run)
    try:
        status, answer = server.json("GET", "/sample?count=8&label=2")
        rows = answer.get("pixels", []) if status == 200 else []
        mean = sum(sum(row) for row in rows) / max(1, 3 * len(rows))
        if not (len(rows) == 8 and 90 < mean < 125):
            fail(f"a table model's samples are not in the table's units (status {status}, mean {mean:.2f})")
        status, answer = server.json("POST", "/reconstruct", {"pixels": [[110, 110, 110]], "labels": [2]})
        if status != 200 or not all(90 < v < 125 for v in answer["pixels"][0]):
            fail(f"a table row's reconstruction is not in the table's units: {status} {answer}")
        driver, _ = explorer(server)
        try:
            picker = [o.text for o in driver.find_elements(By.CSS_SELECTOR, "#label option")]
            legend = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#legend span")]
            expected = [f"{k} {name}" for k, name in enumerate(names)]
            if picker != expected or legend != expected:
                fail(f"the explorer names the classes {picker} (picker) and {legend} (legend), not {expected}")
        finally:
            driver.quit()
        return {"named_table_sample_mean": round(mean, 2), "named_table_classes": len(picker)}
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latent", default=".build/release/latent")
    parser.add_argument("--examples", type=int, default=50, help="schemathesis examples per operation")
    parser.add_argument("--screenshot", help="save the explorer page here (PNG)")
    args = parser.parse_args()
    figures = {}
    with tempfile.TemporaryDirectory() as work:
        vae, cvae = os.path.join(work, "vae"), os.path.join(work, "cvae")
        for out, extra in [(vae, []), (cvae, ["--model", "cvae"])]:
            subprocess.run([args.latent, "train", "--epochs", "1", "--latent", "2", "--seed", "1", "--out", out,
                            *extra], check=True, capture_output=True)
        server = Server(args.latent, vae, "--idle-timeout", "2")
        try:
            figures.update(hostile(server, 2))
            figures.update(same_as_cli(server, args.latent, vae, work))
            figures["schemathesis_cases_vae"] = contract(server, args.examples, conditional=False)
            picture = os.path.join(work, "sample.png")
            subprocess.run([args.latent, "sample", vae, "--count", "1", "--out", picture], check=True,
                           capture_output=True)
            figures.update(browser(server, args.screenshot, picture))
        finally:
            code = server.stop()
        if code != 0:
            fail(f"the server exited {code} on SIGTERM")
        figures["sigterm_exit"] = code
        server = Server(args.latent, cvae)
        try:
            figures["schemathesis_cases_cvae"] = contract(server, args.examples, conditional=True)
            status, answer = server.json("GET", "/sample?count=4&label=3")
            if status != 200 or len(answer["pixels"]) != 4:
                fail(f"a CVAE's /sample?label=3 answered {status}")
        finally:
            server.stop()
        figures.update(named_table(args.latent, work))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
