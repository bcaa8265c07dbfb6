#!/usr/bin/env bash
# Run each probe under Keras 3 and under hoarfrost and diff their "OUT" lines.
# Probes are small programs in the style of keras.io's guides (Sequential, Functional,
# training & evaluation, callbacks, transfer learning, RNNs, customizing fit on JAX),
# with only the imports switched (IMPL=keras or not). Known differences (2026-12-04):
#   callbacks_transfer: "bn moving mean unchanged" (README: training=False stays False)
#   rnn_custom_fit: the guide's NestedCell fails in both (Keras 3.15 on JAX: IndexError)
#   training_builtin: Keras on JAX fails on the guide's CategoricalTruePositives
#     (__jax_array__ in eval_shape); run with KERAS_BACKEND=tensorflow for its reference.
# Usage: KERAS_PY=/work/main/.venv-keras/bin/python tools/guide_probes/compare.sh [probe ...]
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"; ROOT="$HERE/../.."
KERAS_PY="${KERAS_PY:-$ROOT/.venv-keras/bin/python}"; PY="${PY:-$ROOT/.venv/bin/python}"
probes=("$@"); [ ${#probes[@]} -eq 0 ] && probes=(sequential_functional training_builtin callbacks_transfer rnn_custom_fit data_callbacks_saving rnn_layers)
for p in "${probes[@]}"; do
  k=$(IMPL=keras KERAS_BACKEND="${KERAS_BACKEND:-jax}" "$KERAS_PY" "$HERE/$p.py" 2>/dev/null | grep '^OUT')
  h=$(IMPL=hoarfrost PYTHONPATH="$ROOT/src" "$PY" "$HERE/$p.py" 2>&1 | grep '^OUT\|Error')
  if [ "$k" == "$h" ]; then echo "$p: same"; else echo "$p: differs"; diff <(echo "$k") <(echo "$h"); fi
done
