import time, numpy as np
from threadpoolctl import threadpool_limits; threadpool_limits(1,"blas")
n,g,m,R=4096,68,40,100
y=np.random.default_rng(0).random((n*(g+2),m))
T=time.perf_counter
t=T(); z=(y-y.mean(0))/y.std(0); z=z.reshape(n,g+2,m); a,ab,b=z[:,0],z[:,1:-1],z[:,-1]; print("z",T()-t)
t=T(); first=b[:,None,:]*(ab-a[:,None,:]); total=0.5*(a[:,None,:]-ab)**2; print("terms",T()-t)
counts=np.random.default_rng(0).random((R,n))
t=T(); x=(counts@first.reshape(n,-1)); print("mm1",T()-t)
t=T(); x=(counts@total.reshape(n,-1)).reshape(R,g,m); print("mm2",T()-t)
t=T(); x.std(axis=0,ddof=1); print("std",T()-t)
t=T(); first.mean(axis=0); print("mean",T()-t)
