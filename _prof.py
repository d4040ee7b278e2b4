import time, cProfile, pstats
t=time.perf_counter()
import som_mc
from som_mc.sensitivity import sobol_analysis
print("import", time.perf_counter()-t)
c=som_mc.load_case("benchmarks/reference.toml")
t=time.perf_counter()
r=sobol_analysis(c, n_base=4096, seed=1)
print("sobol", time.perf_counter()-t, r.attrs["seconds_kernel"], r.attrs["seconds_model"], r.sizes)
cProfile.run("sobol_analysis(c, n_base=4096, seed=1)", "/tmp/p.out")
pstats.Stats("/tmp/p.out").sort_stats("cumtime").print_stats(15)
