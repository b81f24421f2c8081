"""PyTorch child of `npm run bench`: runs one Job (JSON in argv[1], see bench/protocol.ts) and prints
one line, RESULT_MARKER + JSON, exactly as the JavaScript children do (bench/job.ts), with the same
measurement protocol (bench/measure.ts). Optional: the parent runs it only when
`/usr/bin/python3 -c "import torch"` works.

The loop is the one every PyTorch tutorial shows: nn.Sequential of nn.Linear, torch.optim.SGD or
torch.optim.Adam (default implementation), zero_grad(set_to_none=True), loss.backward(), step();
the training set as one tensor, each batch taken by index. A toolkit net (spec["toolkit"]) adds
nn.Dropout after each hidden activation (train mode while training, eval mode for inference),
torch.optim.AdamW with the decay on the weights only, and its cosine rate set by hand per epoch.
The accuracy run uses the JavaScript children's batch order (a file from the parent), so all
libraries train on the same batches. Threads are set explicitly (torch.set_num_threads, and
OMP/OpenBLAS variables set by the parent before torch loads).
"""

import gzip
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

RESULT_MARKER = "@@bench-result "
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
MNIST_FILES = {
    "train_x": "train-images-idx3-ubyte",
    "train_y": "train-labels-idx1-ubyte",
    "test_x": "t10k-images-idx3-ubyte",
    "test_y": "t10k-labels-idx1-ubyte",
}


def log(job, message):
    print(f"[{job['net']} pytorch cpu×{job['threads']}] {message}", file=sys.stderr, flush=True)


# ---- data -------------------------------------------------------------------------------------

def read_idx(path):
    """An IDX file (gzipped or not) as a numpy uint8 array of its declared shape."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * d: 8 + 4 * d], "big") for d in range(rank)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: expected {int(np.prod(dims))} bytes of data, found {data.size}")
    return data.reshape(dims)


def find(directory, name):
    for candidate in (os.path.join(directory, name), os.path.join(directory, name + ".gz")):
        if os.path.exists(candidate):
            return candidate
    raise FileNotFoundError(f"{name}(.gz) not found in {directory}")


def load_data(job):
    """(train_x, train_y, train_labels, test_x, test_y, test_labels) as float32/int64 numpy arrays."""
    spec = job["spec"]
    inputs, outputs = spec["sizes"][0], spec["sizes"][-1]
    if spec["data"] == "fashion-mnist":
        d = job["fashionMnistDir"]
        parts = {k: read_idx(find(d, f)) for k, f in MNIST_FILES.items()}
        train_x = parts["train_x"].reshape(-1, inputs).astype(np.float32) / 255
        test_x = parts["test_x"].reshape(-1, inputs).astype(np.float32) / 255
        train_labels = parts["train_y"].astype(np.int64)
        test_labels = parts["test_y"].astype(np.int64)
    else:
        raw = np.fromfile(job["rawDataPath"], dtype="<f4")
        n_train, n_test = job["rawDataCounts"]["train"], job["rawDataCounts"]["test"]
        sizes = [n_train * inputs, n_train * outputs, n_test * inputs, n_test * outputs]
        offsets = np.cumsum([0] + sizes)
        train_x, train_y, test_x, test_y = (raw[offsets[i]:offsets[i + 1]] for i in range(4))
        train_x, test_x = train_x.reshape(-1, inputs), test_x.reshape(-1, inputs)
        train_labels = targets_to_labels(train_y.reshape(-1, outputs))
        test_labels = targets_to_labels(test_y.reshape(-1, outputs))
    if job["trainSamples"] is not None:
        train_x, train_labels = train_x[: job["trainSamples"]], train_labels[: job["trainSamples"]]
    if job["testSamples"] is not None:
        test_x, test_labels = test_x[: job["testSamples"]], test_labels[: job["testSamples"]]
    return train_x, targets(train_labels, outputs), train_labels, test_x, test_labels


def targets_to_labels(y):
    return (y[:, 0] >= 0.5).astype(np.int64) if y.shape[1] == 1 else y.argmax(axis=1)


def targets(labels, outputs):
    """One-hot rows, or the 0/1 class itself for a one-output net (as bench/data.ts does)."""
    if outputs == 1:
        return labels.astype(np.float32).reshape(-1, 1)
    return np.eye(outputs, dtype=np.float32)[labels]


# ---- model ------------------------------------------------------------------------------------

ACTIVATIONS = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}


def build_model(job):
    """The net with backprop's initial weights (W is [out, in] in both, so no transpose)."""
    spec = job["spec"]
    sizes = spec["sizes"]
    raw = np.fromfile(job["initialWeightsPath"], dtype="<f4")
    layers, offset = [], 0
    for l in range(len(sizes) - 1):
        fan_in, units = sizes[l], sizes[l + 1]
        linear = torch.nn.Linear(fan_in, units)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(raw[offset: offset + units * fan_in].reshape(units, fan_in)))
            offset += units * fan_in
            linear.bias.copy_(torch.from_numpy(raw[offset: offset + units]))
            offset += units
        layers.append(linear)
        last = l == len(sizes) - 2
        act = spec["output"] if last else spec["hidden"]
        # Softmax is part of F.cross_entropy, so the last layer of the cross-entropy net emits logits.
        if act != "softmax":
            layers.append(ACTIVATIONS[act]())
        # backprop masks a hidden layer's activations, so the dropout comes after the activation
        if not last and toolkit(spec) and toolkit(spec)["dropout"][l] > 0:
            layers.append(torch.nn.Dropout(toolkit(spec)["dropout"][l]))
    return torch.nn.Sequential(*layers)


class SparseFirst(torch.nn.Module):
    """The net with its first layer on sparse batches: z = torch.sparse.mm(X, Wᵀ) + b, then the rest."""

    def __init__(self, model):
        super().__init__()
        self.first, self.rest = model[0], model[1:]

    def forward(self, x):
        z = torch.sparse.mm(x, self.first.weight.t()) + self.first.bias if x.is_sparse else self.first(x)
        return self.rest(z)


class SparseRows:
    """A data set's rows by their non-zeros (CSR), gathered per batch into a sparse COO tensor."""

    def __init__(self, x):
        rows, cols = np.nonzero(x)
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(x)))])
        self.cols = cols.astype(np.int64)
        self.values = x[rows, cols]
        self.shape = x.shape

    def batch(self, idx):
        idx = np.asarray(idx)
        begin, end = self.indptr[idx], self.indptr[idx + 1]
        counts = end - begin
        # positions of every non-zero of the batch in the CSR arrays, row after row
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        at = np.repeat(begin, counts) + within
        indices = np.stack([np.repeat(np.arange(len(idx)), counts), self.cols[at]])
        # (already in coalesced order: rows ascending, columns ascending within a row)
        return torch.sparse_coo_tensor(torch.from_numpy(indices), torch.from_numpy(self.values[at]), (len(idx), self.shape[1]))._coalesced_(True)


def toolkit(spec):
    """The training toolkit's settings of a toolkit net (bench/nets.ts), None for a plain net."""
    return spec.get("toolkit")


def build_optimizer(job, model):
    spec = job["spec"]
    tk = toolkit(spec)
    if tk:
        if spec["optimizer"] != "adam":
            raise ValueError(f"toolkit nets use Adam (AdamW), not {spec['optimizer']}")
        # AdamW decays θ ← θ − η·λ·θ before the Adam update, as backprop does; like backprop's, on
        # the weights only (torch.optim.AdamW would decay every parameter given to it, biases too).
        weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
        biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
        groups = [{"params": weights, "weight_decay": tk["weightDecay"]}, {"params": biases, "weight_decay": 0.0}]
        return torch.optim.AdamW(groups, lr=spec["learningRate"], betas=(0.9, 0.999), eps=1e-8)
    if spec["optimizer"] == "adam":
        return torch.optim.Adam(model.parameters(), lr=spec["learningRate"], betas=(0.9, 0.999), eps=1e-8)
    return torch.optim.SGD(model.parameters(), lr=spec["learningRate"])


def scheduled_rate(spec, epoch, epochs):
    """η of epoch `epoch` (0-based) of `epochs`: fit's cosine schedule (src/train/schedule.ts),
    η_min + (η₀ − η_min)(1 + cos(π·e/E))/2 over the E epochs after a linear warm-up of W epochs."""
    s = toolkit(spec)["schedule"]
    if s["kind"] != "cosine":
        raise ValueError(f"schedule {s['kind']!r}: only 'cosine' is written here")
    base, low, warmup = spec["learningRate"], s["minLearningRate"], s["warmupEpochs"]
    if epoch < warmup:
        return base * (epoch + 1) / warmup
    span = max(1, epochs - warmup)
    return low + (base - low) * (1 + math.cos(math.pi * (epoch - warmup) / span)) / 2


# ---- measurement (mirrors bench/measure.ts and bench/interference.ts) -------------------------

class Interference:
    """CPU used by other processes while we time: machine busy time (/proc/stat) minus our own
    and minus the busy process of --contended (`load`, a Popen), which is counted as loadCores."""

    def __init__(self, load=None):
        self.other = self.own = self.load_seconds = self.wall = 0.0
        self.available = True
        self.start = None
        self.load = load

    def sample(self):
        usage = resource.getrusage(resource.RUSAGE_SELF)
        try:
            with open("/proc/stat") as f:
                fields = [int(v) for v in f.readline().split()[1:9]]
            busy = (sum(fields[0:3]) + sum(fields[5:8])) / TICKS_PER_SECOND
            load = process_cpu_seconds(self.load.pid) if self.load else 0.0
        except (OSError, ValueError):
            busy = load = None
        return busy, usage.ru_utime + usage.ru_stime, load, time.perf_counter()

    def begin(self):
        self.start = self.sample()

    def end(self):
        busy, own, load, wall = self.sample()
        busy0, own0, load0, wall0 = self.start
        if busy is None or busy0 is None:
            self.available = False
        else:
            self.other += max(0.0, busy - busy0 - (own - own0) - (load - load0))
            self.own += own - own0
            self.load_seconds += load - load0
            self.wall += wall - wall0

    def result(self):
        if not self.available or self.wall == 0:
            return None
        cores = {"otherCores": round(self.other / self.wall, 2), "ownCores": round(self.own / self.wall, 2)}
        if self.load:
            cores["loadCores"] = round(self.load_seconds / self.wall, 2)
        return cores


def process_cpu_seconds(pid):
    """utime + stime of a process (/proc/PID/stat fields 14 and 15), as bench/contention.ts reads them."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


def measure_rate(work, samples_per_call, timing, meter):
    start = time.perf_counter()
    done, chunk, calls_per_second = 0, 1, 0.0
    while done < timing["warmupSteps"] or time.perf_counter() - start < timing["warmupSeconds"]:
        t0 = time.perf_counter()
        work(chunk)
        seconds = time.perf_counter() - t0
        done += chunk
        calls_per_second = chunk / max(seconds, 1e-9)
        if seconds < 0.05:
            chunk *= 2
    per_segment = max(timing["minSegmentSteps"], round(calls_per_second * timing["segmentSeconds"]))
    rates = []
    for _ in range(timing["segments"]):
        meter.begin()
        t0 = time.perf_counter()
        work(per_segment)
        seconds = time.perf_counter() - t0
        meter.end()
        rates.append(per_segment * samples_per_call / seconds)
    return {
        "median": statistics.median(rates),
        "min": min(rates),
        "max": max(rates),
        "segments": len(rates),
        "samplesPerSegment": per_segment * samples_per_call,
    }


def measure_latency(call, timing, meter):
    """Batch-1 latency as bench/measure.ts measureLatency: warm up, then time single calls one by one
    for about latencySeconds (at least 200); median, 10th and 90th percentiles in µs."""
    start, i = time.perf_counter(), 0
    while i < timing["warmupSteps"] or time.perf_counter() - start < timing["warmupSeconds"]:
        call(i)
        i += 1
    times = []
    meter.begin()
    start = time.perf_counter()
    while len(times) < 200 or time.perf_counter() - start < timing["latencySeconds"]:
        t0 = time.perf_counter()
        call(i)
        times.append((time.perf_counter() - t0) * 1e6)
        i += 1
    meter.end()
    times.sort()
    at = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    return {"median": statistics.median(times), "p10": at(0.1), "p90": at(0.9), "calls": len(times)}


class Batches:
    """Shuffled mini-batches, reshuffled every epoch (torch's own generator, seeded)."""

    def __init__(self, count, batch_size, seed):
        self.count, self.batch_size = count, batch_size
        self.generator = torch.Generator().manual_seed(seed)
        self.reshuffle()

    def reshuffle(self):
        self.order = torch.randperm(self.count, generator=self.generator)
        self.next = 0

    def take(self, full_only):
        left = self.count - self.next
        if left == 0 or (full_only and left < self.batch_size):
            self.reshuffle()
        idx = self.order[self.next: self.next + self.batch_size]
        self.next += idx.numel()
        return idx


class FixedBatches:
    """The accuracy run's batches in the order the JavaScript children use (written by the parent)."""

    def __init__(self, path, count, batch_size, epochs):
        orders = np.fromfile(path, dtype="<i4")
        if orders.size != count * epochs:
            raise ValueError(f"{path}: expected {epochs} epochs × {count} samples, found {orders.size} entries")
        self.orders = torch.from_numpy(orders.astype(np.int64)).reshape(epochs, count)
        self.count, self.batch_size = count, batch_size
        self.epoch, self.next = 0, 0

    def take(self, _full_only):
        if self.next == self.count:
            self.epoch, self.next = self.epoch + 1, 0
        idx = self.orders[self.epoch, self.next: self.next + self.batch_size]
        self.next += idx.numel()
        return idx


def blas_library():
    """Which BLAS torch's matrix products run on (Debian links whatever libblas.so.3 points to)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "/" in line}
    except OSError:
        return "unknown"
    found = sorted(os.path.realpath(p) for p in paths if any(k in os.path.basename(p) for k in ("blas", "mkl")))
    return ", ".join(found) or "none loaded"


# ---- the job ----------------------------------------------------------------------------------

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run(job):
    torch.set_num_threads(job["threads"])
    torch.manual_seed(job["seed"])
    spec = job["spec"]
    train_x_np, train_y_np, _, test_x_np, test_labels = load_data(job)
    rss_after_data = rss_mb()
    train_x, train_y = torch.from_numpy(train_x_np), torch.from_numpy(train_y_np)
    train_labels = train_y.argmax(dim=1) if spec["loss"] == "cross-entropy" else None
    test_x = torch.from_numpy(test_x_np)
    sparse = job.get("input") == "sparse"
    sparse_rows = SparseRows(train_x_np) if sparse else None

    def build():
        return SparseFirst(build_model(job)) if sparse else build_model(job)

    model = build()
    optimizer = build_optimizer(job, model)
    batch = spec["batchSize"]

    def loss_of(idx):
        out = model(sparse_rows.batch(idx) if sparse else train_x[idx])
        if spec["loss"] == "cross-entropy":
            return F.cross_entropy(out, train_labels[idx])
        return F.mse_loss(out, train_y[idx])

    def train(batches, steps, full_only):
        for _ in range(steps):
            idx = batches.take(full_only)
            optimizer.zero_grad(set_to_none=True)
            loss_of(idx).backward()
            optimizer.step()

    def predict(x):
        with torch.inference_mode():
            out = model(x)
            return (F.softmax(out, dim=1) if spec["output"] == "softmax" else out).numpy()

    infer_batch = min(job["inferBatch"], len(test_x))
    cursor = {"next": 0}

    def infer(calls):
        for _ in range(calls):
            if cursor["next"] + infer_batch > len(test_x):
                cursor["next"] = 0
            predict(test_x[cursor["next"]: cursor["next"] + infer_batch])
            cursor["next"] += infer_batch

    # --contended: the busy process of bench/contention.ts (it exits by itself if we die first)
    load = subprocess.Popen(job["load"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL) if job.get("load") else None
    meter = Interference(load)
    try:
        warm = Batches(len(train_x), batch, job["seed"])
        train_stats = measure_rate(lambda steps: train(warm, steps, True), batch, job["timing"], meter)
        log(job, f"train {round(train_stats['median'])} samples/s")
        if job.get("trainOnly"):  # the sweep: training throughput only (TrainResult in bench/protocol.ts)
            return {
                "net": job["net"],
                "library": "pytorch",
                "backend": "cpu",
                "threads": torch.get_num_threads(),
                "trainSamplesPerSec": round(train_stats["median"]),
                "peakRssMB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "train": train_stats,
                "trainSamples": len(train_x),
                "rssAfterDataMB": round(rss_after_data),
                "interference": meter.result(),
                "loop": "nn.Sequential(nn.Linear, ...), torch.optim Adam/SGD, zero_grad(set_to_none=True), backward(), step(); batches by index",
                "versions": {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(), "torch BLAS": blas_library()},
            }

        model = build()
        optimizer = build_optimizer(job, model)
        batches = FixedBatches(job["epochOrderPath"], len(train_x), batch, job["epochs"])
        steps_per_epoch = -(-len(train_x) // batch)
        t0 = time.perf_counter()
        for epoch in range(job["epochs"]):
            if toolkit(spec):
                for group in optimizer.param_groups:
                    group["lr"] = scheduled_rate(spec, epoch, job["epochs"])
            train(batches, steps_per_epoch, False)
        epoch_seconds = time.perf_counter() - t0
        log(job, f"{job['epochs']} epoch(s) in {epoch_seconds:.1f} s")
        # Inference without dropout (a no-op for the plain nets, which have no train-only layers).
        model.eval()
        infer_stats = measure_rate(infer, infer_batch, job["timing"], meter)
        latency = measure_latency(lambda i: predict(test_x[i % len(test_x): i % len(test_x) + 1]), job["timing"], meter)
    finally:
        if load:
            load.kill()
            load.wait()
    out = np.concatenate([predict(test_x[s: s + infer_batch]) for s in range(0, len(test_x), infer_batch)])
    predicted = (out[:, 0] >= 0.5).astype(np.int64) if out.shape[1] == 1 else out.argmax(axis=1)
    accuracy = float((predicted == test_labels).mean())
    log(job, f"infer {round(infer_stats['median'])} samples/s, batch-1 latency {latency['median']:.1f} µs, test accuracy {accuracy:.4f}")

    return {
        "net": job["net"],
        "library": "pytorch",
        "backend": "cpu sparse" if sparse else "cpu",
        "threads": torch.get_num_threads(),
        "epochs": job["epochs"],
        "trainSamplesPerSec": round(train_stats["median"]),
        "inferSamplesPerSec": round(infer_stats["median"]),
        "latencyMicros": round(latency["median"], 1),
        "testAccuracy": accuracy,
        "peakRssMB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "train": train_stats,
        "infer": infer_stats,
        "latency": latency,
        "epochSamplesPerSec": round(job["epochs"] * len(train_x) / epoch_seconds),
        "trainSamples": len(train_x),
        "testSamples": len(test_x),
        "rssAfterDataMB": round(rss_after_data),
        "interference": meter.result(),
        "contended": load is not None,
        "loop": "nn.Sequential(nn.Linear, ...), torch.optim SGD/Adam, zero_grad(set_to_none=True), backward(), step(); batches by index"
        + ("; nn.Dropout after hidden activations, AdamW (weights only), cosine lr set per epoch" if toolkit(spec) else "")
        + ("; first layer torch.sparse.mm on sparse COO batches gathered from a CSR copy of the training set" if sparse else ""),
        "versions": {
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "torch BLAS": blas_library(),
        },
    }


if __name__ == "__main__":
    job = json.loads(sys.argv[1])
    try:
        result = run(job)
    except Exception as e:  # one clear line for the parent, then a non-zero exit
        log(job, f"failed: {e!r}")
        sys.exit(1)
    print(RESULT_MARKER + json.dumps(result), flush=True)
