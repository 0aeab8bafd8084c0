# The texts' NeuralNetMLP (Raschka) in numpy, timed over the minibatch loop only; prints
# samples/s. argv: x.f32 y.i32 n_hidden batch epochs variant, where variant f32 makes every array
# float32 and texts keeps the texts' own dtypes (float64). Run by scripts/bench-train-kernels.mjs
# and scripts/bench-peers.mjs with one OpenBLAS thread.
import sys, time, numpy as np
from scipy.special import expit
X = np.fromfile(sys.argv[1], dtype=np.float32).reshape(-1, 784); y = np.fromfile(sys.argv[2], dtype=np.int32)
n_hidden, batch, epochs, variant = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
f32 = np.float32 if variant == 'f32' else np.float64; rng = np.random.RandomState(1)
w1 = rng.uniform(-1.0, 1.0, size=(n_hidden, 785)).astype(f32); w2 = rng.uniform(-1.0, 1.0, size=(10, n_hidden + 1)).astype(f32)
np.seterr(all='ignore')
l1, l2, eta, alpha, dec = 0.0, 0.1, 0.001, 0.001, 0.00001
def add_bias(X, how):
    if how == 'column':
        Xn = np.ones((X.shape[0], X.shape[1] + 1), dtype=f32); Xn[:, 1:] = X
    else:
        Xn = np.ones((X.shape[0] + 1, X.shape[1]), dtype=f32); Xn[1:, :] = X
    return Xn
y_enc = np.zeros((10, y.shape[0]), dtype=f32); y_enc[y, np.arange(y.shape[0])] = 1.0
dw1_prev = np.zeros(w1.shape, dtype=f32); dw2_prev = np.zeros(w2.shape, dtype=f32)
seconds = 0.0; cpu = 0.0; samples = 0
for i in range(epochs):
    eta /= (1 + dec * i)
    idx = rng.permutation(y.shape[0]); Xd, ye = X[idx], y_enc[:, idx]
    for mini in np.array_split(range(y.shape[0]), y.shape[0] // batch):
        t, c = time.perf_counter(), time.process_time()
        a1 = add_bias(Xd[mini], 'column'); z2 = w1.dot(a1.T); a2 = add_bias(expit(z2), 'row'); z3 = w2.dot(a2); a3 = expit(z3)
        yb = ye[:, mini]
        cost = np.sum(-yb * np.log(a3) - (1.0 - yb) * np.log(1.0 - a3)) + (l2 / 2.0) * (np.sum(w1[:, 1:] ** 2) + np.sum(w2[:, 1:] ** 2)) + (l1 / 2.0) * (np.abs(w1[:, 1:]).sum() + np.abs(w2[:, 1:]).sum())
        s3 = a3 - yb; z2b = add_bias(z2, 'row'); sg = expit(z2b); s2 = (w2.T.dot(s3) * (sg * (1.0 - sg)))[1:, :]
        g1 = s2.dot(a1); g2 = s3.dot(a2.T)
        g1[:, 1:] += l2 * w1[:, 1:] + l1 * np.sign(w1[:, 1:]); g2[:, 1:] += l2 * w2[:, 1:] + l1 * np.sign(w2[:, 1:])
        dw1, dw2 = eta * g1, eta * g2
        w1 -= dw1 + alpha * dw1_prev; w2 -= dw2 + alpha * dw2_prev; dw1_prev, dw2_prev = dw1, dw2
        seconds += time.perf_counter() - t; cpu += time.process_time() - c; samples += len(mini)
assert w1.dtype == f32 and a3.dtype == f32
# samples per wall-clock second, then per CPU second of this process
print(samples / seconds, samples / cpu)
