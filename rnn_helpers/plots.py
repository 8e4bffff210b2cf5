"""Figures used by the assignments; every one has a title and labelled axes.

Each function draws into `ax` when given one (so figures can be combined),
otherwise into a new figure, and returns the Axes it drew into.
Dimensions: T time steps, H hidden units.
"""

import matplotlib.pyplot as plt
import numpy as np


def _axes(ax, figsize=(6, 3.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_loss_curves(curves, title="Training loss", xlabel="iteration", ylabel="loss", smooth=1, ax=None):
    """One line per named curve.

    Inputs:
    - curves: dict label -> sequence of values (e.g. {"train": [...], "val": [...]}),
      or a single sequence
    - smooth: width of a moving average (1: none); noisy minibatch losses read
      better with 20 or so
    """
    ax = _axes(ax)
    if not isinstance(curves, dict):
        curves = {ylabel: curves}
    for label, values in curves.items():
        values = np.asarray(values, dtype=np.float64)
        steps = np.arange(len(values))
        if smooth > 1 and len(values) >= smooth:
            values = np.convolve(values, np.ones(smooth) / smooth, mode="valid")
            steps = steps[smooth - 1 :]
        ax.plot(steps, values, label=label)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if len(curves) > 1:
        ax.legend()
    ax.grid(alpha=0.3)
    return ax


def plot_gradient_norms(
    norms,
    title="Gradient norm reaching each earlier time step",
    xlabel="steps back from the last time step",
    ylabel="norm of dL/dh_t (log scale)",
    ax=None,
):
    """Gradient norm per time step on a log scale, one line per setting.

    Inputs:
    - norms: dict label -> sequence of T norms, where element k is the norm
      of the gradient reaching the state k steps before the last one
      (e.g. {"rho = 0.5": [...], "rho = 1.5": [...]})

    Straight lines on the log scale are geometric decay (vanishing) or
    growth (exploding) with the distance in time.
    """
    ax = _axes(ax)
    for label, values in norms.items():
        values = np.asarray(values, dtype=np.float64)
        # Exact zeros cannot be drawn on a log axis; show them at the float64 floor.
        ax.semilogy(np.arange(len(values)), np.maximum(values, 1e-300), marker=".", label=label)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    return ax


def plot_hidden_states(h, labels=None, title="Hidden states over time", ax=None):
    """Heat map of the hidden states of one sequence.

    Inputs:
    - h: (T, H) hidden states, values in [-1, 1] for a tanh RNN
    - labels: optional list of T strings (e.g. the characters read) for the time axis
    """
    h = np.asarray(h, dtype=np.float64)
    T, H = h.shape
    ax = _axes(ax, figsize=(max(4, 0.5 * T + 2), max(2.5, 0.18 * H + 1)))
    image = ax.imshow(h.T, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1)
    ax.figure.colorbar(image, ax=ax, label="activation")
    ax.set_xticks(np.arange(T))
    if labels is not None:
        ax.set_xticklabels(labels)
    ax.set_title(title)
    ax.set_xlabel("time step (character read)")
    ax.set_ylabel("hidden unit")
    return ax


# Lecture 000 additions: the unrolled graph and attention weights.


def plot_unrolled_rnn(inputs, outputs=None, title="An RNN unrolled in time", ax=None):
    """Draw the unrolled computation graph x_t -> h_t -> y_t, h_{t-1} -> h_t.

    Inputs:
    - inputs: list of T labels for the inputs (e.g. the words read)
    - outputs: optional list of T labels for the outputs (e.g. the next words)

    Every arrow of one kind carries the same weight name (Wx, Wh, Wy): the
    picture of parameter sharing across time.
    """
    T = len(inputs)
    ax = _axes(ax, figsize=(1.9 * T + 1.5, 3.2))
    box = dict(boxstyle="round,pad=0.3", fc="#eef3fb", ec="#3b6ea8")
    arrow = dict(arrowstyle="->", color="#555555", lw=1.2)
    ax.annotate("h0", (-0.2, 1), ha="center", va="center", bbox=box)
    for t in range(T):
        ax.annotate(f"x{t + 1}\n{inputs[t]!s}", (t + 1, 0), ha="center", va="center", bbox=box)
        ax.annotate(
            f"h{t + 1}", (t + 1, 1), ha="center", va="center", bbox=dict(box, fc="#fdf0dc", ec="#b07020")
        )
        ax.annotate("", (t + 1, 0.82), (t + 1, 0.22), arrowprops=arrow)
        ax.text(t + 1.05, 0.5, "Wx", fontsize=8, color="#3b6ea8")
        ax.annotate("", (t + 0.8, 1), (t + 0.2 if t else 0.0, 1), arrowprops=arrow)
        ax.text(t + 0.45, 1.06, "Wh", fontsize=8, color="#b07020")
        if outputs is not None:
            ax.annotate(f"y{t + 1}\n{outputs[t]!s}", (t + 1, 2), ha="center", va="center", bbox=box)
            ax.annotate("", (t + 1, 1.78), (t + 1, 1.18), arrowprops=arrow)
            ax.text(t + 1.05, 1.45, "Wy", fontsize=8, color="#3b6ea8")
    ax.set_xlim(-0.6, T + 0.6)
    ax.set_ylim(-0.5, 2.5 if outputs is not None else 1.5)
    ax.set_xticks(np.arange(1, T + 1))
    ax.set_yticks([])
    ax.set_xlabel("time step t")
    ax.set_title(title)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    return ax


def plot_attention_weights(weights, source, target, title="Attention weights", ax=None):
    """Heat map of attention weights: which source position each output step read.

    Inputs:
    - weights: (U, T) weights, each row summing to 1
    - source: list of T labels (source tokens); target: list of U labels (output tokens)
    """
    weights = np.asarray(weights, dtype=np.float64)
    U, T = weights.shape
    ax = _axes(ax, figsize=(0.6 * T + 2.5, 0.45 * U + 1.5))
    image = ax.imshow(weights, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.figure.colorbar(image, ax=ax, label="weight")
    ax.set_xticks(np.arange(T))
    ax.set_xticklabels(source)
    ax.set_yticks(np.arange(U))
    ax.set_yticklabels(target)
    ax.set_xlabel("source position (encoder state attended to)")
    ax.set_ylabel("output step")
    ax.set_title(title)
    return ax


def plot_accuracy_by_length(
    results,
    xlabel="input length (characters)",
    ylabel="exact-match accuracy",
    title="Accuracy against input length",
    ax=None,
):
    """Accuracy per input-length bin, one line per model.

    Inputs:
    - results: dict label -> (centres, accuracy), two sequences of the same
      length (e.g. from rnn_helpers.nets.translator.accuracy_by_length); NaN entries
      (empty bins) are left out of the line
    """
    ax = _axes(ax)
    for label, (centres, accuracy) in results.items():
        centres = np.asarray(centres, dtype=np.float64)
        accuracy = np.asarray(accuracy, dtype=np.float64)
        keep = ~np.isnan(accuracy)
        ax.plot(centres[keep], accuracy[keep], marker="o", label=label)
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


# --- lectures 001 and 003 ----------------------------------------------------


def plot_next_char_distribution(probs, itos, top=8, title="Next-character distribution", ax=None):
    """Bar chart of the `top` most likely next characters.

    Inputs:
    - probs: (V,) probabilities of each vocabulary entry
    - itos: list of V strings, the vocabulary (index -> character)
    """
    probs = np.asarray(probs, dtype=np.float64)
    order = np.argsort(probs)[::-1][:top]
    ax = _axes(ax, figsize=(5, 3))
    ax.bar([repr(itos[i])[1:-1] for i in order], probs[order])
    ax.set_title(title)
    ax.set_xlabel("next character")
    ax.set_ylabel("probability")
    ax.set_ylim(0, 1)
    return ax


def plot_token_heatmap(
    values,
    tokens,
    rows,
    title="Values per token",
    vmin=0.0,
    vmax=1.0,
    cmap="viridis",
    colorbar="value",
    ax=None,
):
    """Heat map with one column per token read and one row per named quantity.

    Inputs:
    - values: (R, T) array, e.g. gate activations of chosen units at each step
    - tokens: list of T strings for the time axis
    - rows: list of R row names
    """
    values = np.asarray(values, dtype=np.float64)
    R, T = values.shape
    ax = _axes(ax, figsize=(max(5, 0.55 * T + 2), max(2, 0.45 * R + 1.2)))
    image = ax.imshow(values, aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax)
    ax.figure.colorbar(image, ax=ax, label=colorbar)
    ax.set_xticks(np.arange(T))
    ax.set_xticklabels(tokens, rotation=45, ha="right")
    ax.set_yticks(np.arange(R))
    ax.set_yticklabels(rows)
    ax.set_title(title)
    ax.set_xlabel("token read (time step)")
    ax.set_ylabel("quantity")
    return ax


# --- lectures 002 and 004 ----------------------------------------------------


def plot_image_grid(images, titles=None, suptitle="Images", cols=6, cmap="gray_r", size=1.6):
    """Small grey-scale images in a grid, each with an optional title.

    Inputs:
    - images: (M, h, w) array, e.g. digits (M, 8, 8) or one clip's frames (T, C, C)
    - titles: list of M strings (a caption, a label, "t = 3") or None
    - suptitle: the title of the whole figure

    Returns the (rows, cols) array of Axes; cells beyond M are hidden.
    """
    images = np.asarray(images, dtype=np.float64)
    M = len(images)
    cols = min(cols, M)
    rows = -(-M // cols)
    width = images.shape[2] / images.shape[1]  # keep wide strips wide
    fig, axes = plt.subplots(
        rows, cols, figsize=(size * width * cols, (size + 0.4) * rows + 0.6), squeeze=False
    )
    for k, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if k >= M:
            ax.set_visible(False)
            continue
        ax.imshow(images[k], cmap=cmap, vmin=0, vmax=max(1.0, float(images.max())))
        if titles is not None:
            ax.set_title(titles[k], fontsize=9)
    fig.suptitle(suptitle)
    fig.supxlabel("pixel column")
    fig.supylabel("pixel row")
    fig.tight_layout()
    return axes


# (inputs at, outputs at, steps) of each pattern: which time steps read an input
# and which emit an output; the hidden states chain through all the steps.
IO_PATTERNS = {
    "one to one": ([0], [0], 1),
    "one to many": ([0], [0, 1, 2], 3),
    "many to one": ([0, 1, 2], [2], 3),
    "many to many\n(encoder-decoder)": ([0, 1, 2], [3, 4], 5),
    "many to many\n(aligned)": ([0, 1, 2], [0, 1, 2], 3),
}


def plot_io_patterns(title="Input-output patterns of a recurrent network", patterns=IO_PATTERNS):
    """The classic five diagrams: inputs (bottom), hidden states (middle), outputs (top).

    Inputs:
    - patterns: dict name -> (input steps, output steps, number of steps);
      the default IO_PATTERNS holds the five of the slides

    Arrows between hidden states are the recurrence: the same weights at
    every step. Returns the array of Axes, one per pattern.
    """
    fig, axes = plt.subplots(1, len(patterns), figsize=(3.1 * len(patterns), 3.2))
    colours = {"in": "#f4a6a6", "h": "#a8d5a2", "out": "#9cc3e6"}
    arrow = dict(arrowstyle="->", color="#444444", lw=1.0)
    for ax, (name, (ins, outs, steps)) in zip(np.atleast_1d(axes), patterns.items()):
        for t in range(steps):
            ax.add_patch(plt.Rectangle((t - 0.3, 0.85), 0.6, 0.3, fc=colours["h"], ec="k"))
            if t:
                ax.annotate("", (t - 0.3, 1.0), (t - 0.7, 1.0), arrowprops=arrow)
        for t in ins:
            ax.add_patch(plt.Rectangle((t - 0.3, 0.0), 0.6, 0.3, fc=colours["in"], ec="k"))
            ax.annotate("", (t, 0.85), (t, 0.3), arrowprops=arrow)
        for t in outs:
            ax.add_patch(plt.Rectangle((t - 0.3, 1.7), 0.6, 0.3, fc=colours["out"], ec="k"))
            ax.annotate("", (t, 1.7), (t, 1.15), arrowprops=arrow)
        ax.set_xlim(-0.6, max(steps, 3) - 0.4)
        ax.set_ylim(-0.2, 2.2)
        ax.set_xticks(range(steps))
        ax.set_yticks([0.15, 1.0, 1.85])
        ax.set_yticklabels(["input x", "state h", "output y"])
        ax.set_xlabel("time step")
        ax.set_title(name, fontsize=10)
    fig.suptitle(title)
    fig.tight_layout()
    return axes
