# The same network, update and data as scripts/peers/numpy_mlp.py and gradswarm's bench runs (the
# texts' NeuralNetMLP: sigmoid hidden and output layers, summed binary cross-entropy, uniform ±1
# init, L2 0.1 on the non-bias weights, eta 0.001 decreased by 1/(1 + 1e-5·epoch) compounding,
# the texts' momentum w -= dw + 0.001·dw_prev) in PyTorch, float32, one thread, gradients by
# autograd; timed over the minibatch loop only; prints samples/s.
# argv: x.f32 y.i32 layers (e.g. 784,512,10) batch epochs
import sys, time
import numpy as np
import torch

torch.set_num_threads(1)
X = torch.from_numpy(np.fromfile(sys.argv[1], dtype=np.float32).reshape(-1, 784).copy())
y = torch.from_numpy(np.fromfile(sys.argv[2], dtype=np.int32).astype(np.int64))
layers = [int(v) for v in sys.argv[3].split(',')]
batch, epochs = int(sys.argv[4]), int(sys.argv[5])
g = torch.Generator().manual_seed(1)
# One matrix per layer with the bias in column 0, as the texts store it.
W = [(torch.rand(layers[i + 1], layers[i] + 1, generator=g) * 2 - 1).requires_grad_() for i in range(len(layers) - 1)]
prev = [torch.zeros_like(w) for w in W]
l2, eta, alpha, dec = 0.1, 0.001, 0.001, 0.00001
Y = torch.nn.functional.one_hot(y, layers[-1]).float()
seconds, cpu, samples = 0.0, 0.0, 0
for i in range(epochs):
    eta /= 1 + dec * i
    idx = torch.randperm(y.shape[0], generator=g)
    Xd, Yd = X[idx], Y[idx]
    for mini in np.array_split(np.arange(y.shape[0]), y.shape[0] // batch):
        t, c = time.perf_counter(), time.process_time()
        lo, hi = int(mini[0]), int(mini[-1]) + 1
        a, yb = Xd[lo:hi], Yd[lo:hi]
        for l, w in enumerate(W):
            z = torch.addmm(w[:, 0], a, w[:, 1:].t())
            a = torch.sigmoid(z) if l < len(W) - 1 else z
        cost = torch.nn.functional.binary_cross_entropy_with_logits(a, yb, reduction='sum')
        cost = cost + (l2 / 2.0) * sum((w[:, 1:] ** 2).sum() for w in W)
        for w in W:
            w.grad = None
        cost.backward()
        with torch.no_grad():
            for k, w in enumerate(W):
                dw = eta * w.grad
                w -= dw + alpha * prev[k]
                prev[k] = dw
        seconds += time.perf_counter() - t
        cpu += time.process_time() - c
        samples += hi - lo
# samples per wall-clock second, then per CPU second of this process
print(samples / seconds, samples / cpu)
