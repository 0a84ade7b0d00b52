"""pybs-tui's speed kernels: run BY PATH in the interpreter being measured, never imported.

    python -I -B speed_kernels.py STEP RUNS [EXECUTABLE]

Python 3.8 and newer (every CPython python-build-standalone ships, free-threaded ones too),
standard library only, nothing compiled, nothing written (-B), no network. STEP is one of
STEPS; the step runs once unmeasured (warm-up), then RUNS times, and prints ONE line of JSON:
{"schema": "pybs-tui-bench/1", "step": STEP, "times": {measurement: [seconds, ...]}}.

`startup` and `imports` start EXECUTABLE (the interpreter as it was named) again as children
(`-I -S -B -c pass`, `-I -B -c pass`, and `-I -S -B -c "import X"` timed from inside); the
CPU kernels are small pyperformance-style loops sized to take some tens of milliseconds in a
release build.
"""

import json
import subprocess
import sys
import time

SCHEMA = "pybs-tui-bench/1"
IMPORTED = ("json", "typing", "argparse", "asyncio")
IMPORT_CODE = (
    "import time\nt = time.perf_counter()\nimport {}\nprint(repr(time.perf_counter() - t))"
)


# -- the CPU kernels: each returns something so nothing is optimised away ----------------------
def calls():
    def leaf(a, b, c=1):
        return a + b + c

    def middle(a, b):
        return leaf(a, b) + leaf(b, a, c=2)

    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    total = 0
    for i in range(60000):
        total += middle(i, 3)
    return total + fib(20)


class _Point:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def moved(self, dx):
        return _Point(self.x + dx, self.y - dx)


class _Box:
    def __init__(self):
        self.count = 0
        self.scale = 3

    @property
    def scaled(self):
        return self.count * self.scale


def attrs():
    box = _Box()
    point = _Point(0, 0)
    for _ in range(60000):
        box.count = box.count + 1
        point = point.moved(1)
        if box.scaled < 0:
            break
    return point.x + point.y + box.scaled


def dicts_strings():
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    counts = {}
    parts = []
    for i in range(40000):
        word = words[i % 8] + str(i % 97)
        counts[word] = counts.get(word, 0) + 1
        parts.append(f"{word.upper()}={counts[word]}")
    text = ",".join(parts)
    pieces = text.split(",")
    return len(counts) + len(text.replace("A", "a")) + len(pieces)


def regex_kernel(pattern, text):
    def run():
        found = 0
        for _ in range(40):
            for match in pattern.finditer(text):
                found += len(match.group(1))
        return found

    return run


def json_kernel(document):
    def run():
        size = 0
        for _ in range(60):
            size += len(json.loads(json.dumps(document)))
        return size

    return run


def numeric():
    # a small n-body style loop: floats, tuples, lists
    bodies = [[float(i), float(i) * 0.5, 1.0 + i, 0.01 * i, -0.02 * i] for i in range(5)]
    energy = 0.0
    for _ in range(3000):
        for i in range(5):
            bi = bodies[i]
            for j in range(i + 1, 5):
                bj = bodies[j]
                dx = bi[0] - bj[0]
                dy = bi[1] - bj[1]
                d2 = dx * dx + dy * dy + 0.01
                mag = 0.001 / (d2 * d2**0.5)
                bi[3] -= dx * bj[2] * mag
                bi[4] -= dy * bj[2] * mag
                bj[3] += dx * bi[2] * mag
                bj[4] += dy * bi[2] * mag
        for b in bodies:
            b[0] += 0.01 * b[3]
            b[1] += 0.01 * b[4]
            energy += 0.5 * b[2] * (b[3] * b[3] + b[4] * b[4])
    return energy


def _document():
    return {
        "items": [
            {"id": i, "name": f"item {i}", "tags": ["a", "b", str(i)], "price": i * 1.25}
            for i in range(200)
        ],
        "meta": {"count": 200, "ok": True, "note": None},
    }


def _text():
    import re

    text = "".join(
        f"user{i}@example.org sent 42 bytes to host-{i}.local at 12:{i % 60:02d}\n"
        for i in range(300)
    )
    return re.compile(r"(\w+)@([\w.-]+)"), text


def kernels():
    pattern, text = _text()
    return {
        "calls": calls,
        "attrs": attrs,
        "dicts_strings": dicts_strings,
        "regex": regex_kernel(pattern, text),
        "json": json_kernel(_document()),
        "numeric": numeric,
    }


# -- start-up and imports: children of the interpreter as named -------------------------------
def _child(argv):
    return subprocess.run(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )


def startup_times(executable, runs):
    out = {"startup_nosite": [], "startup_site": []}
    commands = (
        ("startup_nosite", [executable, "-I", "-S", "-B", "-c", "pass"]),
        ("startup_site", [executable, "-I", "-B", "-c", "pass"]),
    )
    for n in range(runs + 1):
        for name, argv in commands:
            start = time.perf_counter()
            done = _child(argv)
            took = time.perf_counter() - start
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(argv)} exited with status {done.returncode}")
            if n:  # the first round warms the file cache
                out[name].append(took)
    return out


def import_times(executable, runs):
    out = {}
    for module in IMPORTED:
        argv = [executable, "-I", "-S", "-B", "-c", IMPORT_CODE.format(module)]
        times = []
        for n in range(runs + 1):
            done = _child(argv)
            if done.returncode != 0:
                raise SystemExit(f"import {module} failed (status {done.returncode})")
            if n:
                times.append(float(done.stdout.decode("ascii", "replace").strip()[:40]))
        out["import_" + module] = times
    return out


def kernel_times(name, runs):
    kernel = kernels()[name]
    kernel()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        kernel()
        times.append(time.perf_counter() - start)
    return {name: times}


STEPS = ("startup", "imports", "calls", "attrs", "dicts_strings", "regex", "json", "numeric")


def main(argv):
    if len(argv) < 3 or argv[1] not in STEPS or not argv[2].isdigit():
        sys.stderr.write("usage: speed_kernels.py STEP RUNS [EXECUTABLE]\n")
        return 2
    step, runs = argv[1], max(1, min(50, int(argv[2])))
    executable = argv[3] if len(argv) > 3 else sys.executable
    if step == "startup":
        times = startup_times(executable, runs)
    elif step == "imports":
        times = import_times(executable, runs)
    else:
        times = kernel_times(step, runs)
    sys.stdout.write(json.dumps({"schema": SCHEMA, "step": step, "times": times}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
