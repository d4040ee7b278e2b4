import time, numpy as np
n,R=4096,100
t=time.perf_counter()
draws = np.random.default_rng(1).integers(n, size=(n, R))
counts = np.zeros((R, n))
np.add.at(counts, (np.broadcast_to(np.arange(R), draws.shape), draws), 1.0)
print("addat", time.perf_counter()-t)
t=time.perf_counter()
c2=np.stack([np.bincount(draws[:,k],minlength=n) for k in range(R)]).astype(float)
print("bincount", time.perf_counter()-t, np.array_equal(c2,counts))
