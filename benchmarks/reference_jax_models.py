"""Hand-written JAX + Optax versions of W4-W8 (benchmarks/models.py's architectures).

As in reference_jax.py, a whole epoch is one jitted call (`lax.scan` over an
on-device permutation, donated buffers), except for the convolutional
workloads (W4, W7, W8): XLA:CPU differentiates a convolution inside `lax.scan`
30x slower than in a plain jitted step, so there the epoch is a Python loop of
jitted steps (`scan=False`), the faster of the two there. Parameters are flat dicts
`{layer: {name: array}}`; BatchNormalization's moving statistics are state,
updated as Keras does (momentum 0.99, epsilon 1e-3). Convolutions are
`lax.conv_general_dilated`, what a JAX user writes.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax

from reference_jax import _glorot

_CONV = ("NHWC", "HWIO", "NHWC")


# --- layers ---------------------------------------------------------------------------
def _conv(x, w, stride=1):
    return lax.conv_general_dilated(x, w, (stride, stride), "SAME", dimension_numbers=_CONV)


def _conv_transpose(x, w):  # Keras's Conv2DTranspose(strides=2, padding="same"), kernel HWOI
    return lax.conv_transpose(x, w, (2, 2), "SAME", dimension_numbers=_CONV,
                              transpose_kernel=True)


def _batch_norm(p, s, x, train: bool):
    axes = tuple(range(x.ndim - 1))
    if train:
        mean, var = x.mean(axes), x.var(axes)
        s = {"mean": 0.99 * s["mean"] + 0.01 * mean, "var": 0.99 * s["var"] + 0.01 * var}
    else:
        mean, var = s["mean"], s["var"]
    return (x - mean) * lax.rsqrt(var + 1e-3) * p["gamma"] + p["beta"], s


def _bn_init(width):
    return ({"gamma": jnp.ones(width), "beta": jnp.zeros(width)},
            {"mean": jnp.zeros(width), "var": jnp.ones(width)})


def _layer_norm(p, x):
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) * lax.rsqrt(var + 1e-3) * p["gamma"] + p["beta"]


# --- W4 / W7: the ResNet-style CNN -------------------------------------------------------
WIDTHS = (16, 32, 64)


def init_resnet(key, head: tuple = (10,)):
    """(params, state, top_block_names); `head` lists the Dense widths after pooling."""
    keys = iter(jax.random.split(key, 32))
    params, state, top = {}, {}, []

    def conv_bn(name, kh, cin, cout):
        params[name] = {"w": _glorot(next(keys), (kh, kh, cin, cout))}
        params[name + "_bn"], state[name + "_bn"] = _bn_init(cout)
        return [name, name + "_bn"]

    conv_bn("stem", 3, 3, WIDTHS[0])
    cin = WIDTHS[0]
    for i, width in enumerate(WIDTHS):
        top = conv_bn(f"b{i}a", 3, cin, width) + conv_bn(f"b{i}b", 3, width, width)
        if i:
            top += conv_bn(f"b{i}p", 1, cin, width)
        cin = width
    for j, width in enumerate(head):
        params[f"d{j}"] = {"w": _glorot(next(keys), (cin, width)), "b": jnp.zeros(width)}
        cin = width
    return params, state, top


def resnet(params, state, x, train_bn):
    """Logits and the new state; `train_bn(name)` says which BatchNormalization layers train."""
    new_state = dict(state)

    def conv_bn(name, h, stride=1):
        h = _conv(h, params[name]["w"], stride)
        h, new_state[name + "_bn"] = _batch_norm(params[name + "_bn"], state[name + "_bn"], h,
                                                 train_bn(name + "_bn"))
        return h

    h = jax.nn.relu(conv_bn("stem", x))
    for i in range(len(WIDTHS)):
        stride = 1 if i == 0 else 2
        out = conv_bn(f"b{i}b", jax.nn.relu(conv_bn(f"b{i}a", h, stride)))
        shortcut = conv_bn(f"b{i}p", h, stride) if i else h
        h = jax.nn.relu(out + shortcut)
    h = h.mean((1, 2))
    heads = sorted(k for k in params if k.startswith("d"))
    for j, name in enumerate(heads):
        h = h @ params[name]["w"] + params[name]["b"]
        if j < len(heads) - 1:
            h = jax.nn.relu(h)
    return h, new_state


# --- W5: the Transformer encoder ------------------------------------------------------------
def init_transformer(key, vocab, seq, dim=64, heads=4, blocks=2, ffn=128):
    keys = iter(jax.random.split(key, 64))
    params = {"embed": {"w": jax.random.uniform(next(keys), (vocab, dim), jnp.float32, -.05, .05)},
              "pos": {"w": jax.random.uniform(next(keys), (seq, dim), jnp.float32, -.05, .05)}}
    for b in range(blocks):
        params[f"att{b}"] = {n: _glorot(next(keys), (dim, dim)) for n in ("q", "k", "v", "o")}
        params[f"att{b}"].update({f"b{n}": jnp.zeros(dim) for n in ("q", "k", "v", "o")})
        params[f"ln{b}a"] = {"gamma": jnp.ones(dim), "beta": jnp.zeros(dim)}
        params[f"ln{b}b"] = {"gamma": jnp.ones(dim), "beta": jnp.zeros(dim)}
        params[f"ffn{b}"] = {"w1": _glorot(next(keys), (dim, ffn)), "b1": jnp.zeros(ffn),
                             "w2": _glorot(next(keys), (ffn, dim)), "b2": jnp.zeros(dim)}
    params["out"] = {"w": _glorot(next(keys), (dim, 2)), "b": jnp.zeros(2)}
    return params, {}, heads


def transformer(params, state, x, heads):
    h = params["embed"]["w"][x] + params["pos"]["w"][None]
    blocks = sum(1 for k in params if k.startswith("att"))
    for b in range(blocks):
        p = params[f"att{b}"]
        n, t, d = h.shape

        def split(a):
            return a.reshape(n, t, heads, d // heads)

        q, k, v = (split(h @ p[c] + p[f"b{c}"]) for c in "qkv")
        scores = jnp.einsum("nqhd,nkhd->nhqk", q, k) / np.sqrt(d // heads)
        att = jnp.einsum("nhqk,nkhd->nqhd", jax.nn.softmax(scores, -1), v).reshape(n, t, d)
        h = _layer_norm(params[f"ln{b}a"], h + att @ p["o"] + p["bo"])
        f = params[f"ffn{b}"]
        h = _layer_norm(params[f"ln{b}b"], h + jax.nn.relu(h @ f["w1"] + f["b1"]) @ f["w2"]
                        + f["b2"])
    return h.mean(1) @ params["out"]["w"] + params["out"]["b"], state


# --- W6: the LSTM -------------------------------------------------------------------------
def init_lstm(key, vocab, dim=64, units=128):
    k = jax.random.split(key, 4)
    params = {"embed": {"w": jax.random.uniform(k[0], (vocab, dim), jnp.float32, -.05, .05)},
              "lstm": {"w": _glorot(k[1], (dim, 4 * units)),
                       "u": jax.nn.initializers.orthogonal()(k[2], (units, 4 * units)),
                       "b": jnp.zeros(4 * units).at[units:2 * units].set(1.0)},
              "out": {"w": _glorot(k[3], (units, 2)), "b": jnp.zeros(2)}}
    return params, {}, units


def lstm(params, state, x, units):
    p = params["lstm"]
    inputs = params["embed"]["w"][x] @ p["w"] + p["b"]  # all steps' input projections at once

    def step(carry, z):
        h, c = carry
        z = z + h @ p["u"]
        i, f, g, o = jnp.split(z, 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        return (h, c), None

    zeros = jnp.zeros((x.shape[0], units))
    (h, _), _ = lax.scan(step, (zeros, zeros), jnp.swapaxes(inputs, 0, 1))
    return h @ params["out"]["w"] + params["out"]["b"], state


# --- W8: the DCGAN generator step -------------------------------------------------------------
GAN_WIDTHS = (512, 256, 128, 64)


def init_dcgan(key, latent=100):
    keys = iter(jax.random.split(key, 16))
    w0 = GAN_WIDTHS[0]
    params = {"g_dense": {"w": _glorot(next(keys), (latent, 16 * w0))}}
    state = {}
    params["g_bn0"], state["g_bn0"] = _bn_init(w0)
    cin = w0
    for i, width in enumerate(GAN_WIDTHS[1:] + (3,)):
        params[f"g_ct{i}"] = {"w": _glorot(next(keys), (5, 5, width, cin))}
        if width != 3:
            params[f"g_bn{i + 1}"], state[f"g_bn{i + 1}"] = _bn_init(width)
        cin = width
    params["g_ct3"]["b"] = jnp.zeros(3)
    cin = 3
    for i, width in enumerate(reversed(GAN_WIDTHS)):
        params[f"d_conv{i}"] = {"w": _glorot(next(keys), (5, 5, cin, width)),
                                "b": jnp.zeros(width)}
        cin = width
    params["d_out"] = {"w": _glorot(next(keys), (4 * 4 * cin, 1)), "b": jnp.zeros(1)}
    return params, state, None


def dcgan(params, state, z, _):
    new_state = dict(state)
    h = (z @ params["g_dense"]["w"]).reshape(-1, 4, 4, GAN_WIDTHS[0])
    h, new_state["g_bn0"] = _batch_norm(params["g_bn0"], state["g_bn0"], h, True)
    h = jax.nn.relu(h)
    for i in range(3):
        h = _conv_transpose(h, params[f"g_ct{i}"]["w"])
        h, new_state[f"g_bn{i + 1}"] = _batch_norm(params[f"g_bn{i + 1}"],
                                                   state[f"g_bn{i + 1}"], h, True)
        h = jax.nn.relu(h)
    h = jnp.tanh(_conv_transpose(h, params["g_ct3"]["w"]) + params["g_ct3"]["b"])
    for i in range(4):
        p = params[f"d_conv{i}"]
        h = jax.nn.leaky_relu(_conv(h, p["w"], 2) + p["b"], 0.2)
    logit = h.reshape(h.shape[0], -1) @ params["d_out"]["w"] + params["d_out"]["b"]
    return logit, new_state


# --- training -----------------------------------------------------------------------------
def make_epoch(apply, batch_size: int, binary: bool = False, scan: bool = True):
    """An epoch: (trainable, frozen, state, opt_state, x, y, key) -> updated, loss.

    `apply(params, state, x) -> (logits, new_state)`; frozen parameters get no
    gradient (they are not differentiated at all). `scan`: one jitted call
    scanning the steps, else a Python loop over one jitted (donating) step.
    """
    tx = optax.adam(1e-3, eps=1e-7)

    def loss_fn(trainable, fixed, state, xb, yb):
        logits, state = apply({**fixed, **trainable}, state, xb)
        if binary:
            loss = optax.sigmoid_binary_cross_entropy(logits, yb).mean()
        else:
            loss = optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()
        return loss, state

    def epoch(trainable, fixed, state, opt_state, x, y, key):
        steps = x.shape[0] // batch_size
        perm = jax.random.permutation(key, x.shape[0])[: steps * batch_size]
        perm = perm.reshape(steps, batch_size)

        def step(carry, idx):
            params, state, opt = carry
            (loss, state), grads = jax.value_and_grad(loss_fn, has_aux=True)(
                params, fixed, state, x[idx], y[idx])
            updates, opt = tx.update(grads, opt, params)
            return (optax.apply_updates(params, updates), state, opt), loss

        (trainable, state, opt_state), losses = lax.scan(step, (trainable, state, opt_state),
                                                         perm)
        return trainable, state, opt_state, losses.mean()

    if scan:
        return tx, jax.jit(epoch, donate_argnums=(0, 2, 3))

    @functools.partial(jax.jit, donate_argnums=(0, 2, 3))
    def one_step(trainable, fixed, state, opt_state, x, y, idx):
        (loss, state), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            trainable, fixed, state, x[idx], y[idx])
        updates, opt_state = tx.update(grads, opt_state, trainable)
        return optax.apply_updates(trainable, updates), state, opt_state, loss

    permute = jax.jit(lambda key, n: jax.random.permutation(key, n), static_argnums=1)

    def loop(trainable, fixed, state, opt_state, x, y, key):
        steps = x.shape[0] // batch_size
        perm = permute(key, x.shape[0])[: steps * batch_size].reshape(steps, batch_size)
        losses = []
        for idx in perm:
            trainable, state, opt_state, loss = one_step(trainable, fixed, state, opt_state, x,
                                                         y, idx)
            losses.append(loss)
        return trainable, state, opt_state, jnp.stack(losses).mean()

    return tx, loop


def accuracy(apply, params, state, x, y, binary: bool = False, batch: int = 250) -> float:
    predict = jax.jit(lambda p, s, xb: apply(p, s, xb)[0])
    logits = np.concatenate([np.asarray(predict(params, state, jnp.asarray(x[i:i + batch])))
                             for i in range(0, len(x), batch)])
    if binary:
        return float(((logits[:, 0] > 0) == (y[:, 0] > 0.5)).mean())
    return float((logits.argmax(-1) == y).mean())
