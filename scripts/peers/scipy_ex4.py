"""scipy's full-batch optimizers on the ex4 network (784-25-10 sigmoid, cross-entropy cost of
the texts with λ/(2m)·Σθ² outside the biases), the peer of gradswarm's --optimizer cg|tnc in
README "Full-batch optimizers (ex4)". Run by scripts/bench-scipy-ex4.mjs, which writes the
embedded digits as raw float32 features and int32 labels.

    python3 scipy_ex4.py FEATURES.f32 LABELS.i32 cg|tnc LAMBDA ITERATIONS SEED

cg: fmin_cg with maxiter=ITERATIONS (distinct cost-and-gradient points counted); tnc:
minimize(method='TNC') with maxfun=ITERATIONS. 8000 train / the rest test, after a seeded
permutation; ε = 0.12 uniform start, as ex4.
"""
import numpy as np, scipy.optimize as opt, sys
features, labels, method, lam, iters, seed = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
X = np.fromfile(features, dtype=np.float32).reshape(-1, 784).astype(np.float64)
y = np.fromfile(labels, dtype=np.int32)
rng = np.random.default_rng(seed)
perm = rng.permutation(len(y)); X, y = X[perm], y[perm]
Xtr, ytr, Xte, yte = X[:8000], y[:8000], X[8000:], y[8000:]
Y = np.eye(10)[ytr]
m = len(ytr); nin, nh, no = 784, 25, 10
sig = lambda z: 1 / (1 + np.exp(-z))
nev = [0]
def cost(p):
    nev[0] += 1
    t1 = p[:nh*(nin+1)].reshape(nh, nin+1); t2 = p[nh*(nin+1):].reshape(no, nh+1)
    a1 = np.hstack([np.ones((m,1)), Xtr]); a2 = np.hstack([np.ones((m,1)), sig(a1 @ t1.T)]); h = sig(a2 @ t2.T)
    J = -np.sum(Y*np.log(h) + (1-Y)*np.log(1-h))/m + lam/(2*m)*(np.sum(t1[:,1:]**2)+np.sum(t2[:,1:]**2))
    d3 = h - Y; d2 = (d3 @ t2)[:,1:] * a2[:,1:]*(1-a2[:,1:])
    g1 = d2.T @ a1 / m; g2 = d3.T @ a2 / m
    g1[:,1:] += lam*t1[:,1:]/m; g2[:,1:] += lam*t2[:,1:]/m
    return J, np.concatenate([g1.ravel(), g2.ravel()])
def acc(p, A, b):
    t1 = p[:nh*(nin+1)].reshape(nh, nin+1); t2 = p[nh*(nin+1):].reshape(no, nh+1)
    a2 = sig(np.hstack([np.ones((len(b),1)), A]) @ t1.T); h = sig(np.hstack([np.ones((len(b),1)), a2]) @ t2.T)
    return np.mean(np.argmax(h,1)==b)
e = 0.12
p0 = np.concatenate([(rng.random((nh,nin+1))*2*e-e).ravel(), (rng.random((no,nh+1))*2*e-e).ravel()])
if method == 'tnc':
    r = opt.minimize(cost, p0, jac=True, method='TNC', options={'maxfun': iters})
    x, nit = r.x, r.nit
elif method == 'cg':
    cache = {}
    def both(p):
        k = p.tobytes()
        if k not in cache: cache.clear(); cache[k] = cost(p)
        return cache[k]
    r = opt.fmin_cg(lambda p: both(p)[0], p0, fprime=lambda p: both(p)[1], maxiter=iters, full_output=True, disp=False)
    x, nit = r[0], iters
    print('fmin_cg func_calls', r[2], 'grad_calls', r[3], 'distinct points', nev[0])
J = cost(x)[0]
print(f"{method} lam={lam} seed={seed} nit={nit} nfev={nev[0]-1} J={J:.5f} train={acc(x,Xtr,ytr)*100:.2f}% test={acc(x,Xte,yte)*100:.2f}%")
