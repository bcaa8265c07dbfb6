import os
import numpy as np
if os.environ.get("IMPL") == "keras":
    import keras
    from keras import layers, ops
else:
    import hoarfrost as keras
    from hoarfrost import layers, ops
def out(*a): print("OUT", *a)
x = np.random.random((4, 5, 3)).astype("float32")
for mk in [lambda: layers.RNN(layers.LSTMCell(6)), lambda: layers.RNN([layers.LSTMCell(6), layers.GRUCell(4)]),
           lambda: layers.RNN(layers.StackedRNNCells([layers.SimpleRNNCell(3), layers.SimpleRNNCell(2)]), return_sequences=True, return_state=True),
           lambda: layers.GRU(4, return_state=True, go_backwards=True), lambda: layers.LSTM(4, unroll=True, return_sequences=True),
           lambda: layers.SimpleRNN(4, return_sequences=True, return_state=True),
           lambda: layers.Bidirectional(layers.GRU(4, return_state=True)), lambda: layers.ConvLSTM1D(2, 3) ]:
    try:
        l = mk()
        inp = x[..., None] if isinstance(l, layers.ConvLSTM1D) else x
        r = l(inp)
        out(type(l).__name__, [tuple(t.shape) for t in r] if isinstance(r, (list, tuple)) else tuple(r.shape), len(l.weights))
    except Exception as e:
        out("ERR", type(e).__name__, str(e)[:120])
model = keras.Sequential([keras.Input((5, 3), batch_size=4), layers.LSTM(4, stateful=True), layers.Dense(1)])
model.compile("adam", "mse")
model.fit(x, np.zeros((4, 1)), batch_size=4, verbose=0, shuffle=False)
a = model.predict(x, batch_size=4, verbose=0)
b = model.predict(x, batch_size=4, verbose=0)
out("stateful differs", not np.allclose(a, b))
try:
    model.reset_states() if hasattr(model, "reset_states") else model.layers[0].reset_states()
    c = model.predict(x, batch_size=4, verbose=0)
    out("has reset_states", hasattr(model, "reset_states"))
except Exception as e:
    out("reset ERR", type(e).__name__, str(e)[:100])
# masking
inp = keras.Input((None,), dtype="int32")
e = layers.Embedding(10, 4, mask_zero=True)(inp)
o = layers.LSTM(3)(e)
m = keras.Model(inp, o)
seq = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
r1 = m.predict(seq, verbose=0)
r2 = m.predict(seq[:, :2], verbose=0)
out("mask", np.allclose(r1, r2, atol=1e-6))
seqs = keras.utils.pad_sequences([[1, 2, 3], [4, 5]], maxlen=4)
out("pad", seqs.tolist())
out("pad post", keras.utils.pad_sequences([[1, 2, 3], [4, 5]], padding="post", truncating="post", maxlen=2).tolist())
