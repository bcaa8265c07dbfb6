"""Low-rank adaptation (LoRA) of a layer's kernel, as Keras 3's `enable_lora`.

`layer.enable_lora(rank)` freezes the layer's kernel (its own flag) and adds
two trainable float32 matrices, `lora_kernel_a` of shape `kernel.shape[:-1] +
(rank,)` and `lora_kernel_b` of shape `(rank, kernel.shape[-1])` (`Embedding`:
`lora_embeddings_a` / `_b`). The layer computes with

    kernel + (lora_alpha / rank) * lora_kernel_a @ lora_kernel_b

so with B initialised to zeros it is unchanged at step 0. A float32 `Dense`
or `EinsumDense` computes it by `lora_contract`, which groups the value and
each derivative whichever way costs fewer multiply-adds for the shapes at hand
(through the updated kernel, or factored `(x @ A) @ B`) and never forms the
frozen kernel's gradient. `Embedding`, an int8 kernel (as Keras, QLoRA's
pattern) and other dtypes compute it factored, `x @ kernel + (lora_alpha /
rank) * (x @ A) @ B`. The convolutions use the updated kernel. `merge_lora()`
folds the adapter into the kernel and removes it.

The mixin is shared by `Dense`, `EinsumDense`, `Embedding` and the
convolutions (hoarfrost's extension: same shapes, same formula).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero

from hoarfrost import initializers


def _check_rank(layer_type: str, rank, argument: str = "rank") -> int:
    if not isinstance(rank, int) or isinstance(rank, bool) or rank <= 0:
        raise ValueError(f"{layer_type}: `{argument}` must be a positive integer, got "
                         f"{rank!r}.")
    return rank


def _parse(equation: str) -> tuple:
    """`(inputs spec, kernel spec, output spec)` of a two-operand einsum equation."""
    operands, output = equation.replace(" ", "").split("->")
    x_spec, w_spec = operands.split(",")
    return x_spec, w_spec, output


def einsum_sizes(equation: str, x_shape, w_shape) -> tuple:
    """`(multiply-adds, output size)` of `einsum(equation, x, w)`: the product of every
    index's size, and of the output's."""
    sizes: dict = {}
    for spec, shape in zip(_parse(equation)[:2], (x_shape, w_shape)):
        head, ellipsis, tail = spec.partition("...")
        if ellipsis:
            middle = math.prod(shape[len(head):len(shape) - len(tail)])
            sizes["..."] = max(sizes.get("...", 1), middle)
        sizes.update(zip(head, shape[:len(head)]))
        sizes.update(zip(tail, shape[len(shape) - len(tail):]))
    output = _parse(equation)[2]
    labels = list(output.replace("...", "")) + (["..."] if "..." in output else [])
    return math.prod(sizes.values()), math.prod(sizes[label] for label in labels)


def factorable(equation: str) -> bool:
    """Whether `contract(x, A) @ B` equals `contract(x, A @ B)`: the kernel's last index is
    the output's last, and appears nowhere else (true of every Dense and of
    MultiHeadAttention's projections)."""
    x_spec, w_spec, out = _parse(equation)
    last = w_spec[-1:]
    return (last.isalpha() and out.endswith(last) and last not in x_spec
            and w_spec.count(last) == 1)


def lora_plan(equation: str, x_shape, w_shape, rank: int, factored_value: bool = False) -> tuple:
    """`(merged, through_kernel)`: how `lora_contract` groups its value (and the inputs'
    derivative) and the adapter's derivatives, whichever counts fewer multiply-adds.

    `factored_value`: the value is computed factored whatever the counts (an int8
    base), so `inputs @ a` comes with it."""
    if not factorable(equation):
        return True, True
    base, out_size = einsum_sizes(equation, x_shape, w_shape)
    form = math.prod(w_shape) * rank  # a @ b
    low = base * rank // w_shape[-1]  # contract(inputs, a)
    rows = out_size * rank  # (inputs a) @ b, upstream @ b^T, (inputs a)^T upstream
    merged = form <= low + rows
    through_kernel = base + 2 * form < (low if merged and not factored_value else 0) + low \
        + 2 * rows
    return merged, through_kernel


def lora_contract(inputs, kernel, a, b, scale, *, equation: str, contract=None, base=None,
                  base_args=()):
    """`contract(inputs, kernel + scale * a @ b)`, each part of it computed the cheaper way.

    LoRA's arithmetic can be grouped two ways: through the updated kernel
    (`kernel + scale * a @ b`, a kernel-sized product) or factored
    (`contract(inputs, a) @ b`, a rank-wide detour per row). Which costs less
    depends on the batch and the shapes, so it is chosen here, by counting
    multiply-adds (at trace time, from shapes):

    - the value and the inputs' derivative: one contraction with the updated
      kernel (Keras's float formula) unless the batch is so small that forming
      the kernel costs more than the factored detour;
    - the adapter's derivatives: through a kernel-sized gradient
      (`inputs^T upstream`, as large as the layer's own contraction, then two
      small products) or factored (`inputs^T (upstream b^T)` and
      `(inputs a)^T upstream`, rank-wide);
    - the frozen kernel's derivative is never formed: its tangent is a symbolic
      zero (a kernel a user unfroze next to its adapter gets its own term).

    A `jax.custom_jvp` (so forward mode works too): reverse mode transposes the
    tangent's terms, so the grouping chosen for a tangent is the grouping of
    its gradient. Every grouping equals the others to float32 rounding.

    Args:
        contract: `(x, w) -> product` (default `jnp.einsum(equation, x, w)`).
        equation: the einsum equation `contract` computes (for the counts).
        base: `(inputs, *base_args) -> product` with the frozen kernel, for a kernel
            stored otherwise (int8: Keras's quantized product); the value is then
            `base(...) + scale * contract(inputs, a) @ b` (Keras's int8 formula) and
            `kernel` (the dequantized kernel) serves the derivatives only, straight
            through the base's rounding. `base_args` get no derivative.
    """
    contract = contract or (lambda x, w: jnp.einsum(equation, x, w))
    merged, through_kernel = lora_plan(equation, inputs.shape, kernel.shape, a.shape[-1],
                                       factored_value=base is not None)

    def updated(k, a, b):
        return (k + scale * jnp.matmul(a, b)).astype(k.dtype)

    def value(x, k, a, b, *args):
        if base is not None:
            xa = contract(x, a)
            return base(x, *args) + scale * jnp.matmul(xa, b), xa
        if merged:
            return contract(x, updated(k, a, b)), None
        xa = contract(x, a)
        return contract(x, k) + scale * jnp.matmul(xa, b), xa

    @jax.custom_jvp
    def product(x, k, a, b, *args):
        return value(x, k, a, b, *args)[0]

    def tangent(primals, tangents):
        x, k, a, b, *args = primals
        dx, dk, da, db = (None if isinstance(t, SymbolicZero) else t for t in tangents[:4])
        out, xa = value(x, k, a, b, *args)
        terms = []
        if dx is not None:
            terms.append(contract(dx, updated(k, a, b)) if merged else
                         contract(dx, k) + scale * jnp.matmul(contract(dx, a), b))
        if through_kernel:
            for delta in (None if da is None else scale * jnp.matmul(da, b),
                          None if db is None else scale * jnp.matmul(a, db)):
                if delta is not None:
                    dk = delta if dk is None else dk + delta
        else:
            # The scale rides on the rank-wide factor, not on the product: its
            # transpose then scales a small matrix, not the upstream gradient.
            if da is not None:
                terms.append(jnp.matmul(contract(x, da), scale * b))
            if db is not None:
                terms.append(jnp.matmul(contract(x, a) if xa is None else xa, scale * db))
        if dk is not None:
            terms.append(contract(x, dk.astype(k.dtype)))
        if not terms:
            return out, jnp.zeros_like(out)
        return out, sum(terms[1:], terms[0]).astype(out.dtype)

    product.defjvp(tangent, symbolic_zeros=True)
    return product(inputs, kernel, a, b, *base_args)


class LoRAMixin:
    """`enable_lora`, the effective kernel and `merge_lora` for a layer with a kernel.

    Subclasses name the adapted weight (`_lora_target`), the prefix of the
    adapter variables (`_lora_prefix`) and the arguments whose constraint and
    regularizer apply (`_lora_constraint`, `_lora_regularizer`), call
    `_init_lora` in `__init__` and `_build_lora` at the end of `build`.
    """

    _lora_target = "kernel"
    _lora_prefix = "lora_kernel"
    _lora_constraint = "kernel_constraint"
    _lora_regularizer = "kernel_regularizer"

    def _init_lora(self, lora_rank, lora_alpha) -> None:
        if lora_rank is not None:
            _check_rank(type(self).__name__, lora_rank, "lora_rank")
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def _build_lora(self) -> None:
        """At the end of `build`: the adapter the constructor asked for (`lora_rank`).

        Keras 3 drops the constructor's `lora_alpha` here (it enables LoRA with
        `lora_alpha=rank`); hoarfrost keeps it.
        """
        if self.lora_rank and not self.lora_enabled:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    def enable_lora(self, rank: int, lora_alpha: float | None = None,
                    a_initializer="he_uniform", b_initializer="zeros") -> None:
        """Freeze the kernel and train a low-rank update of it instead (Keras 3's LoRA).

        Args:
            rank: the rank of the update (a positive integer).
            lora_alpha: the update is scaled by `lora_alpha / rank`; None means
                `rank` (a scale of 1).
            a_initializer: the initializer of `lora_kernel_a`.
            b_initializer: the initializer of `lora_kernel_b`; zeros (the
                default) leaves the layer's outputs unchanged until it trains.

        Example:
            >>> layer = Dense(16); layer.build((None, 64))
            >>> layer.enable_lora(4)
            >>> [w.path for w in layer.trainable_weights]
            ['dense/bias', 'dense/lora_kernel_a', 'dense/lora_kernel_b']
        """
        kind = type(self).__name__
        if getattr(self, self._lora_constraint, None) is not None:
            raise ValueError(
                f'{kind} layer "{self.name}": LoRA is incompatible with '
                f"`{self._lora_constraint}`. In order to enable lora on this layer, remove "
                f"the `{self._lora_constraint}` argument.")
        if not self.built:
            raise ValueError(f'{kind} layer "{self.name}": cannot enable lora on a layer that '
                             "isn't yet built.")
        if self.lora_enabled:
            raise ValueError(f'{kind} layer "{self.name}": lora is already enabled (rank '
                             f"{self.lora_rank}). This can only be done once per layer; "
                             "merge_lora() removes it.")
        _check_rank(kind, rank)
        base = getattr(self, self._lora_target)
        regularizer = getattr(self, self._lora_regularizer, None)
        # float32 whatever the layer's dtype, as Keras: small updates do not underflow.
        a = self.add_weight(name=f"{self._lora_prefix}_a", shape=base.shape[:-1] + (rank,),
                            initializer=initializers.get(a_initializer), dtype="float32",
                            regularizer=regularizer)
        b = self.add_weight(name=f"{self._lora_prefix}_b", shape=(rank, base.shape[-1]),
                            initializer=initializers.get(b_initializer), dtype="float32",
                            regularizer=regularizer)
        setattr(self, f"{self._lora_prefix}_a", a)
        setattr(self, f"{self._lora_prefix}_b", b)
        if base.frozen_by is None:
            base.freeze_by("lora")
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    @property
    def lora_variables(self) -> list:
        """The adapter's two variables (empty when LoRA is not enabled)."""
        if not self.lora_enabled:
            return []
        return [getattr(self, f"{self._lora_prefix}_a"), getattr(self, f"{self._lora_prefix}_b")]

    def lora_delta(self):
        """`(lora_alpha / rank) * A @ B`, the update the adapter adds to the kernel."""
        a, b = self.lora_variables
        return (self.lora_alpha / self.lora_rank) * jnp.matmul(a.value, b.value)

    def _adapted(self, value):
        """`value` (the float kernel) plus the adapter's update, in the layer's dtype."""
        if not self.lora_enabled:
            return value
        return jnp.add(value, self.lora_delta()).astype(self.dtype)

    def _lora_product(self, inputs, kernel, equation: str, contract=None, base=None):
        """`contract(inputs, kernel)`, with the adapter's update when LoRA is on.

        A float32 layer computes it by `lora_contract` (each part grouped the
        cheaper way; the frozen kernel's gradient is never formed); any other
        dtype by `_add_lora` (the update stays in float32 beside the kernel).
        `base`: `(inputs, int8 kernel, scale) -> product` of an int8 layer, whose
        `kernel` is then the dequantized one (for the derivatives).
        """
        contract = contract or (lambda x, w: jnp.einsum(equation, x, w))
        if base is not None:
            stored = (getattr(self, self._quantization_target).value,
                      getattr(self, self._quantization_scale).value)
            plain = lambda x, w: base(x, *stored)  # noqa: E731
        else:
            stored, plain = (), contract
        if not self.lora_enabled:
            return plain(inputs, kernel)
        a, b = self.lora_variables
        if not (inputs.dtype == kernel.dtype == a.value.dtype == jnp.float32):
            return self._add_lora(plain(inputs, kernel), lambda a: contract(inputs, a))
        outputs = lora_contract(inputs, kernel, a.value, b.value,
                                self.lora_alpha / self.lora_rank, equation=equation,
                                contract=contract, base=base, base_args=stored)
        return outputs.astype(self.compute_dtype)

    def _add_lora(self, outputs, project):
        """`outputs + (lora_alpha / rank) * project(A) @ B`: the adapter's term, factored.

        `project(A)` applies the layer's contraction with A in place of the
        kernel (`inputs @ A`, an einsum, a row lookup). Computed so, the step
        never forms a kernel-sized gradient (peft's form); Keras adds `A @ B` to
        the kernel first. The two agree within float32 rounding.
        """
        if not self.lora_enabled:
            return outputs
        a, b = self.lora_variables
        lora = jnp.matmul(project(a.value), b.value)
        outputs = jnp.add(outputs, (self.lora_alpha / self.lora_rank) * lora)
        return outputs.astype(self.compute_dtype)

    def merge_lora(self) -> None:
        """Fold the adapter into the kernel and remove it: a plain layer again.

        A float kernel becomes `kernel + (lora_alpha / rank) * A @ B` (the
        outputs are unchanged up to float32 rounding). It keeps its flag
        (frozen) but is an ordinary variable again: `layer.trainable = True`
        (or `model.unfreeze`) now trains it. An int8 kernel is dequantized,
        updated and quantized again with a new scale (Keras's formula when it
        saves a LoRA layer), so its outputs move by the int8 rounding of the
        update; it stays frozen by definition.
        """
        if not self.lora_enabled:
            raise ValueError(f'{type(self).__name__} layer "{self.name}": lora is not '
                             "enabled, there is nothing to merge.")
        base = getattr(self, self._lora_target)
        if getattr(self, "quantization_mode", None) is not None:
            self._merge_quantized(self.lora_delta())
        else:
            base.assign(self._adapted(base.value))
            base.freeze_by(None)
        for variable in self.lora_variables:
            self._variables.remove(variable)
        for suffix in ("_a", "_b"):
            object.__delattr__(self, f"{self._lora_prefix}{suffix}")
        self.lora_enabled = False
        self.lora_rank = None
        self.lora_alpha = None

    # --- Keras's file layout ----------------------------------------------------------------
    def _keras_saved_values(self) -> dict:
        """`{id(variable): array}` where Keras's file holds another value than the variable.

        Keras saves a LoRA layer merged (`save_own_variables` with
        `_get_kernel_with_merged_lora`): the kernel with the update folded in, an
        int8 kernel and its scale quantized again; the adapters have no place in
        its layout. The exact base and adapters travel in hoarfrost's extras.
        """
        if not self.lora_enabled:
            return {}
        base = getattr(self, self._lora_target)
        if getattr(self, "quantization_mode", None) is not None:
            q, scale = self._quantize_value(jnp.add(self._dequantized(), self.lora_delta()))
            return {id(base): np.asarray(q),
                    id(getattr(self, self._quantization_scale)): np.asarray(scale)}
        return {id(base): np.asarray(self._adapted(base.value))}

    def _keras_loaded(self) -> None:
        """After a merged kernel was loaded from Keras's layout: B at zeros, so the layer
        computes exactly the loaded kernel.

        Keras zeroes A too, which leaves the adapter untrainable (both factors at
        zero give both zero gradients); hoarfrost keeps A, so training resumes.
        """
        if self.lora_enabled:
            b = self.lora_variables[1]
            b.assign(jnp.zeros(b.shape, b.dtype))

    def _lora_config(self) -> dict:
        """`lora_rank` / `lora_alpha` for `get_config`, when set (as Keras)."""
        if not self.lora_rank:
            return {}
        return {"lora_rank": self.lora_rank, "lora_alpha": self.lora_alpha}
