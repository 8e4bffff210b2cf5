"""How fast is the numpy reference next to PyTorch on the CPU?

    python -m rnn_helpers.bench.layers [--repeats 10] [--warmup 3] [--dtype float64|float32|both]

For each of RNN, LSTM and GRU this times one forward plus backward pass over a
batch of N=32 sequences of T=50 steps, D=64 inputs, H=128 hidden units:
the numpy reference (rnn_forward/rnn_backward and their LSTM and GRU twins)
against torch.nn.RNN/LSTM/GRU(batch_first=True) with the same weights,
followed by sum(out * dout).backward(). Both sides use the same dtype and
compute the same gradients (of x, h0 and every weight), and before anything is
timed the benchmark checks that they agree: timing wrong code means nothing.

Reported: the median wall time of `repeats` runs after `warmup` discarded
ones, per side (numpy and torch runs alternate), and numpy / torch. The course's target is an LSTM ratio of at
most 2: the reference should be slow only by a small constant factor, not by
the orders of magnitude a Python loop over units would cost. Threads are left
at their defaults (torch.get_num_threads() is printed); numpy's BLAS uses its
own default.
"""

import argparse
import importlib
import os
import statistics
import sys
import time

import numpy as np
import torch

SIZES = dict(N=32, T=50, D=64, H=128)
LSTM_TARGET = 2.0
# Largest difference allowed between numpy and torch, relative to the largest
# magnitude of each compared array. Float32 sums over N*T terms lose ~1e-6 to
# rounding; a wrong gradient is off by order 1.
AGREE_TOL = {np.float64: 1e-9, np.float32: 1e-3}

# layer -> (module, forward, backward, torch class, number of stacked gates)
LAYERS = {
    "RNN": ("rnn_helpers.reference.rnn", "rnn_forward", "rnn_backward", torch.nn.RNN, 1),
    "LSTM": ("rnn_helpers.reference.lstm", "lstm_forward", "lstm_backward", torch.nn.LSTM, 4),
    "GRU": ("rnn_helpers.reference.gru", "gru_forward", "gru_backward", torch.nn.GRU, 3),
}


class Case:
    """One layer at one size: numpy inputs and the torch twin holding the same weights."""

    def __init__(self, layer, N, T, D, H, dtype=np.float64, seed=0):
        module, fwd, bwd, torch_cls, G = LAYERS[layer]
        mod = importlib.import_module(module)
        self.layer, self.dtype = layer, np.dtype(dtype)
        self.forward, self.backward = getattr(mod, fwd), getattr(mod, bwd)
        rng = np.random.default_rng(seed)
        k = 1.0 / np.sqrt(H)  # PyTorch's initialisation range: keeps tanh out of saturation

        def u(*shape):
            return rng.uniform(-k, k, size=shape).astype(dtype)

        self.x = rng.standard_normal((N, T, D)).astype(dtype)
        self.h0 = (0.5 * rng.standard_normal((N, H))).astype(dtype)
        self.dout = rng.standard_normal((N, T, H)).astype(dtype)
        Wx, Wh = u(D, G * H), u(H, G * H)
        # GRU keeps two biases because r multiplies only the hidden half of n;
        # the RNN and LSTM fold them into one, so torch's bias_hh stays zero.
        biases = [u(G * H), u(G * H)] if layer == "GRU" else [u(G * H)]
        self.np_inputs = [self.x, self.h0, Wx, Wh, *biases]

        tdtype = torch.float64 if self.dtype == np.float64 else torch.float32
        self.net = torch_cls(D, H, batch_first=True).to(tdtype)
        with torch.no_grad():
            # Row vectors here (x @ Wx), column vectors in torch (W_ih @ x): transpose.
            self.net.weight_ih_l0.copy_(torch.from_numpy(Wx.T.copy()))
            self.net.weight_hh_l0.copy_(torch.from_numpy(Wh.T.copy()))
            self.net.bias_ih_l0.copy_(torch.from_numpy(biases[0]))
            self.net.bias_hh_l0.copy_(
                torch.from_numpy(biases[1]) if len(biases) > 1 else torch.zeros(G * H, dtype=tdtype)
            )
        self.tx = torch.from_numpy(self.x.copy()).requires_grad_(True)
        self.th0 = torch.from_numpy(self.h0[None].copy()).requires_grad_(True)  # (1, N, H)
        self.tc0 = torch.zeros_like(self.th0) if layer == "LSTM" else None
        self.tdout = torch.from_numpy(self.dout)

    def run_numpy(self):
        """Forward and backward in numpy; returns (out (N, T, H), gradients in input order)."""
        out, cache = self.forward(*self.np_inputs)
        return out, self.backward(self.dout, cache)

    def run_torch(self):
        """Forward and backward in torch; returns (out, gradients in the numpy order)."""
        net = self.net
        for t in (self.tx, self.th0, *net.parameters()):
            t.grad = None  # fresh gradients each run, as in the numpy version
        state = (self.th0, self.tc0) if self.tc0 is not None else self.th0
        out, _ = net(self.tx, state)
        (out * self.tdout).sum().backward()
        grads = [
            self.tx.grad,
            self.th0.grad[0],
            net.weight_ih_l0.grad.T,
            net.weight_hh_l0.grad.T,
            net.bias_ih_l0.grad,
        ]
        if self.layer == "GRU":
            grads.append(net.bias_hh_l0.grad)
        return out, grads


def check_agreement(case):
    """Raise AssertionError unless numpy and torch give the same output and gradients.

    Returns the largest relative difference found (see AGREE_TOL).
    """
    out_np, grads_np = case.run_numpy()
    out_t, grads_t = case.run_torch()
    names = ["out", "dx", "dh0", "dWx", "dWh"] + (["dbx", "dbh"] if case.layer == "GRU" else ["db"])
    pairs = [(out_np, out_t)] + list(zip(grads_np, grads_t))
    if len(grads_np) != len(grads_t):
        raise AssertionError(
            f"{case.layer}: numpy backward returned {len(grads_np)} gradients, "
            f"expected {len(grads_t)} ({', '.join(names[1:])})"
        )
    worst = 0.0
    tol = AGREE_TOL[case.dtype.type]
    for name, (a, b) in zip(names, pairs):
        b = b.detach().numpy()
        if np.shape(a) != b.shape:
            raise AssertionError(f"{case.layer}: numpy {name} has shape {np.shape(a)}, torch {b.shape}")
        if np.asarray(a).dtype != case.dtype:
            raise AssertionError(
                f"{case.layer}: numpy {name} has dtype {np.asarray(a).dtype}, "
                f"expected {case.dtype}: the comparison would not be like with like"
            )
        diff = float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-30))
        if not diff <= tol:
            raise AssertionError(
                f"{case.layer} ({case.dtype}): numpy and torch disagree on {name}, "
                f"relative difference {diff:.2e} > {tol:.0e}; refusing to time it"
            )
        worst = max(worst, diff)
    return worst


def _median_ms(fns, repeats, warmup, tick):
    """Median wall time in ms of each function, run in turn (a b a b ...).

    Alternating rather than timing one side then the other means a burst of
    load from another process slows both sides alike instead of one.
    """
    times = [[] for _ in fns]
    for i in range(warmup + repeats):
        for fn, ts in zip(fns, times):
            start = time.perf_counter()
            fn()
            if i >= warmup:
                ts.append(time.perf_counter() - start)
            tick()
    return [1e3 * statistics.median(ts) for ts in times]


def time_layer(layer, N, T, D, H, dtype=np.float64, repeats=10, warmup=3, progress=None):
    """Check then time one layer; returns a dict with numpy_ms, torch_ms, ratio, max_diff.

    progress: optional object with update(n) (a tqdm bar), advanced once per run.
    """
    case = Case(layer, N, T, D, H, dtype)
    max_diff = check_agreement(case)
    tick = (lambda: progress.update(1)) if progress is not None else (lambda: None)
    numpy_ms, torch_ms = _median_ms([case.run_numpy, case.run_torch], repeats, warmup, tick)
    return dict(
        layer=layer,
        dtype=np.dtype(dtype).name,
        numpy_ms=numpy_ms,
        torch_ms=torch_ms,
        ratio=numpy_ms / torch_ms,
        max_diff=max_diff,
    )


def main(argv=None, sizes=SIZES):
    """Command-line entry point; sizes (N, T, D, H) can be shrunk by tests."""
    parser = argparse.ArgumentParser(
        prog="python -m rnn_helpers.bench.layers",
        description="Time the numpy reference against torch on the CPU.",
    )
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per side (median reported)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first")
    parser.add_argument(
        "--dtype",
        choices=["float64", "float32", "both"],
        default="float64",
        help="dtype of both sides (default float64, the course's dtype)",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.warmup < 0:
        parser.error("--repeats must be at least 1 and --warmup at least 0")
    dtypes = ["float64", "float32"] if args.dtype == "both" else [args.dtype]

    from tqdm import tqdm

    print(
        f"numpy {np.__version__}, torch {torch.__version__} with {torch.get_num_threads()} threads "
        f"(left as found), sizes " + ", ".join(f"{k}={v}" for k, v in sizes.items())
    )
    print(f"forward + backward, median of {args.repeats} runs after {args.warmup} warm-up runs")
    if hasattr(os, "getloadavg"):
        # Other processes competing for the cores inflate both columns; say so.
        load, cores = os.getloadavg()[0], os.cpu_count() or 1
        print(
            f"load average {load:.1f} on {cores} cores"
            + (": the machine is busy, absolute times are inflated" if load > 0.5 * cores else "")
        )
    runs = len(dtypes) * len(LAYERS) * 2 * (args.repeats + args.warmup)
    with tqdm(total=runs, desc="timing", file=sys.stderr, leave=False) as bar:
        results = [
            time_layer(
                layer,
                dtype=np.dtype(dt).type,
                repeats=args.repeats,
                warmup=args.warmup,
                progress=bar,
                **sizes,
            )
            for dt in dtypes
            for layer in LAYERS
        ]
    print(f"{'layer':<6}{'dtype':<9}{'numpy ms':>10}{'torch ms':>10}{'numpy/torch':>13}{'max diff':>10}")
    for r in results:
        print(
            f"{r['layer']:<6}{r['dtype']:<9}{r['numpy_ms']:>10.2f}{r['torch_ms']:>10.2f}"
            f"{r['ratio']:>13.2f}{r['max_diff']:>10.1e}"
        )
    for r in results:
        if r["layer"] == "LSTM":
            verdict = "met" if r["ratio"] <= LSTM_TARGET else "not met"
            print(f"LSTM target: ratio <= {LSTM_TARGET} -> {verdict} ({r['dtype']}, ratio {r['ratio']:.2f})")
    return results


if __name__ == "__main__":
    main()
