import time, numpy as np
from som_mc.sensitivity.analysis import sobol_estimates
n,g,m=4096,68,40
y=np.random.default_rng(0).random((n*(g+2),m))
t=time.perf_counter(); sobol_estimates(y,g,seed=1); print("est", time.perf_counter()-t)
t=time.perf_counter(); sobol_estimates(y[:,:4],g,seed=1); print("est4", time.perf_counter()-t)
a=np.random.default_rng(0).random((100,n)); b=np.random.default_rng(0).random((n,g*m))
t=time.perf_counter(); a@b; print("mm", time.perf_counter()-t)
