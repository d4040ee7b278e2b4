"""The fast sensitivity paths give the numbers and files of the straightforward ones.

The Sobol pipeline (design built input by input, kernel computing net results only, Sobol
sample possibly drawn in another process) is checked bit for bit against the plain one:
scipy.stats quantiles, the row-major Saltelli design and the kernel's full outputs. Figure
files are the same whether laid out once or by each save, and whichever process draws them.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from conftest import cli_imports, minimal_case
from PIL import Image, ImageChops
from scipy import stats

from som_mc import load_case, parse_case
from som_mc.engine.kernel import run_kernel
from som_mc.model import compile_case
from som_mc.present.figure_files import FigureWriter, save_figure
from som_mc.present.plotting.sensitivity import plot_sobol_by_year, plot_tornado
from som_mc.sensitivity import (
    analysis,
    input_groups,
    sobol_analysis,
    sobol_base_sample,
    sobol_base_values,
    spider,
    tornado,
)
from som_mc.sensitivity.analysis import (
    _sobol_estimates,
    evaluate,
    evaluate_years,
    saltelli_matrix,
    sobol_estimates,
)

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "benchmarks" / "reference.toml"


def _grouped_case():
    # a profile with two uncertain entries: one group of two columns
    return parse_case(
        minimal_case(
            success_rate={"dist": "pert", "low": 0.2, "mode": 0.4, "high": 0.7},
            consequences=[
                {
                    "name": "k",
                    "unit": "u",
                    "profile": [
                        {"dist": "uniform", "low": -1.5, "high": -0.5},
                        {"dist": "normal", "mean": -1.0, "sd": 0.2},
                        -1,
                    ],
                    "price": {"kommune": {"dist": "lognormal", "mu": 5.0, "sigma": 0.3}},
                }
            ],
        )
    )


def test_inputs_major_design_is_the_transposed_saltelli_design():
    rng = np.random.default_rng(3)
    a, b = rng.random((16, 5)), rng.random((16, 5))
    for groups in (np.arange(5), np.array([0, 1, 1, 2, 0])):
        rows = saltelli_matrix(a, b, groups)
        cols = saltelli_matrix(a, b, groups, inputs_major=True)
        assert cols.flags.c_contiguous
        np.testing.assert_array_equal(cols, rows.T)


def test_evaluate_inputs_major_and_net_only_equal_the_full_kernel():
    case = load_case(CASE)
    model = compile_case(case)
    rng = np.random.default_rng(4)
    dists = [model.inputs[j].dist for j in model.uncertain]
    x = np.column_stack([d.ppf(rng.random(300)) for d in dists])
    net = run_kernel(model, x)["net"]  # every output, draw-major input
    cum = np.cumsum(net, axis=1)
    expected = np.concatenate([cum, cum.sum(axis=2, keepdims=True)], axis=2)
    by_input = np.ascontiguousarray(x.T)
    np.testing.assert_array_equal(evaluate_years(model, by_input, inputs_major=True), expected)
    np.testing.assert_array_equal(evaluate_years(model, x), expected)
    np.testing.assert_array_equal(evaluate(model, x.T.copy(), inputs_major=True), expected[:, -1])


def _plain_sobol(case, n_base: int, seed: int):
    """Today's Sobol pipeline written out: scipy.stats ppf, row-major design, full kernel."""
    model = compile_case(case)
    names = model.uncertain_names
    d = len(names)
    gs = input_groups(model)
    group_of = {col: g.name for g in gs for col in g.columns}
    labels = list(dict.fromkeys(group_of[i] for i in range(d)))
    group_index = np.array([labels.index(group_of[i]) for i in range(d)])
    base = stats.qmc.Sobol(d=2 * d, scramble=True, rng=np.random.default_rng(seed)).random(n_base)
    base = np.clip(base, 1e-12, 1.0 - 1e-12)
    refs = [model.inputs[j].dist._scipy() for j in model.uncertain]

    def transform(u):
        return np.column_stack([ref.ppf(u[:, j]) for j, ref in enumerate(refs)])

    x = saltelli_matrix(transform(base[:, :d]), transform(base[:, d:]), group_index)
    net = np.cumsum(run_kernel(model, x)["net"], axis=1)
    y = np.concatenate([net, net.sum(axis=2, keepdims=True)], axis=2)
    flat = y.reshape(y.shape[0], -1)
    last_year = (np.arange(y.shape[1]) == y.shape[1] - 1).repeat(y.shape[2])
    est = sobol_estimates(flat[:, last_year], len(labels), seed=seed)
    # the per-year point estimates of every output at once (no blocks of outputs); the
    # last year's are those computed with its intervals
    by_year = _sobol_estimates(
        flat, len(labels), seed=seed, num_resamples=100, conf_level=0.95, bootstrap=False
    )
    for key in ("S1", "ST"):
        by_year[key][:, last_year] = est[key]
    est.update(
        {f"{k}_by_year": by_year[k].reshape(len(labels), *y.shape[1:]) for k in ("S1", "ST")}
    )
    return labels, est


@pytest.mark.parametrize("case_of", [lambda: load_case(CASE), _grouped_case], ids=["ref", "grp"])
def test_sobol_analysis_equals_the_plain_pipeline_bit_for_bit(case_of):
    case = case_of()
    labels, est = _plain_sobol(case, 64, seed=7)
    res = sobol_analysis(case, n_base=64, seed=7)
    assert list(res.input.values) == labels
    for key in ("S1", "S1_conf", "ST", "ST_conf"):
        np.testing.assert_array_equal(res[key].transpose("input", "actor").values, est[key])
    for key in ("S1_by_year", "ST_by_year"):
        np.testing.assert_array_equal(res[key].transpose("input", "year", "actor").values, est[key])


@pytest.mark.parametrize("rows", [1, 7 * 70, 10**6])
def test_sobol_analysis_in_blocks_of_base_rows_equals_the_plain_pipeline(monkeypatch, rows):
    # blocks of 1 base row, of 7 (the last block 1 row short of 7: 64 = 9 * 7 + 1) and one
    # block of everything: the kernel sees slices of the design, the numbers stay the same
    case = load_case(CASE)
    _labels, est = _plain_sobol(case, 64, seed=7)
    monkeypatch.setattr(analysis, "_BLOCK_ROWS", rows)
    res = sobol_analysis(case, n_base=64, seed=7)
    for key in ("S1", "S1_conf", "ST", "ST_conf"):
        np.testing.assert_array_equal(res[key].transpose("input", "actor").values, est[key])
    for key in ("S1_by_year", "ST_by_year"):
        np.testing.assert_array_equal(res[key].transpose("input", "year", "actor").values, est[key])


@pytest.mark.parametrize("m", [1, 2, 8, 9, 17, 40])
@pytest.mark.parametrize("bootstrap", [False, True])
@pytest.mark.parametrize("order", ["C", "F"])
def test_sobol_estimates_in_blocks_of_outputs_equal_all_outputs_at_once(m, bootstrap, order):
    # in blocks of outputs, on one thread or two: the numbers of all outputs at once (an
    # F-ordered y, as y[:, mask] gives, sums in another order: it is taken whole)
    g, n = 5, 128
    rng = np.random.default_rng(m)
    y = rng.normal(3e6, 1e6, size=(n * (g + 2), m))
    y[:, m // 2] = 7.0  # an output that does not vary: NaN indices
    y = np.asarray(y, order=order)
    whole = _sobol_estimates(y, g, seed=2, num_resamples=100, conf_level=0.95, bootstrap=bootstrap)
    for threads in (1, 2):
        blocked = sobol_estimates(y, g, seed=2, bootstrap=bootstrap, threads=threads)
        assert blocked.keys() == whole.keys()
        for key, value in whole.items():
            np.testing.assert_array_equal(blocked[key], value)
        assert np.isnan(blocked["S1"][:, m // 2]).all()


def test_sobol_analysis_with_given_base_values_is_the_same():
    case = _grouped_case()
    one = sobol_analysis(case, n_base=128, seed=11)
    a, b = sobol_base_values(case, 128, 11)
    two = sobol_analysis(case, n_base=128, seed=11, values=(a, b))
    for key in ("S1", "S1_conf", "ST", "ST_conf", "S1_by_year", "ST_by_year"):
        np.testing.assert_array_equal(one[key].values, two[key].values)
    with pytest.raises(ValueError, match="base values must be two arrays of shape"):
        sobol_analysis(case, n_base=128, seed=11, values=(a[:64], b[:64]))
    base = sobol_base_sample(a.shape[1], 128, 11)
    with pytest.raises(ValueError, match="either the base sample or its values"):
        sobol_analysis(case, n_base=128, seed=11, base=base, values=(a, b))


def test_sobol_analysis_with_a_given_base_sample_is_the_same():
    case = _grouped_case()
    d = len(compile_case(case).uncertain_names)
    base = sobol_base_sample(d, 128, 11)
    one = sobol_analysis(case, n_base=128, seed=11)
    two = sobol_analysis(case, n_base=128, seed=11, base=base)
    for key in ("S1", "S1_conf", "ST", "ST_conf", "S1_by_year", "ST_by_year"):
        np.testing.assert_array_equal(one[key].values, two[key].values)
    with pytest.raises(ValueError, match="base sample must have shape"):
        sobol_analysis(case, n_base=128, seed=11, base=base[:64])


def _pixels(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGBA")


def _same_pixels(a: Path, b: Path) -> bool:
    x, y = _pixels(a), _pixels(b)
    return x.size == y.size and ImageChops.difference(x, y).getbbox() is None


def test_one_layout_gives_the_pixels_of_constrained_layout_at_each_save(tmp_path):
    tor = tornado(load_case(CASE))
    ax = plot_tornado(tor, actor="kommune")
    ax.figure.savefig(tmp_path / "each.png", dpi=150, format="png")  # lays out itself
    save_figure(plot_tornado(tor, actor="kommune"), tmp_path, "once")
    assert _same_pixels(tmp_path / "each.png", tmp_path / "once.png")
    svg = (tmp_path / "once.svg").read_text(encoding="utf-8")
    assert svg.count("<use ") > 100  # text drawn as glyph paths, as before


@pytest.mark.parametrize("transparent", [False, True])
def test_png_files_have_matplotlibs_pixels_rgb_when_opaque(tmp_path, transparent):
    from matplotlib.figure import Figure

    from som_mc.present.plotting._style import save_png

    def figure() -> Figure:
        fig = Figure(figsize=(3.0, 2.0))
        if transparent:
            fig.patch.set_alpha(0.0)
        ax = fig.add_subplot()
        ax.barh([0, 1], [1.0, -2.0])
        ax.set_title("Æøå 1.234,5 kr.")
        return fig

    figure().savefig(tmp_path / "mpl.png", dpi=150, format="png")
    save_png(figure(), tmp_path / "ours.png", 150)
    assert _same_pixels(tmp_path / "mpl.png", tmp_path / "ours.png")
    with Image.open(tmp_path / "ours.png") as ours, Image.open(tmp_path / "mpl.png") as theirs:
        assert ours.mode == ("RGBA" if transparent else "RGB")
        assert theirs.mode == "RGBA"
        assert ours.info["Software"] == theirs.info["Software"]
        assert ours.info["dpi"] == pytest.approx(theirs.info["dpi"])


def test_a_title_moved_clear_of_top_ticks_stays_where_matplotlib_puts_it(tmp_path):
    # the title is placed once for the fixed layout and kept: where matplotlib, placing it
    # anew at each save, puts it above tick labels on top of the Axes
    from som_mc.present.plotting._style import new_axes

    def top_ticks(_data=None, **_kw):
        ax = new_axes(None, (4.0, 3.0))
        ax.plot([0.0, 1.0], [0.0, 1.0])
        ax.xaxis.tick_top()
        ax.set_title("Titel over tallene")
        return ax

    ax = top_ticks()
    ax.figure.savefig(tmp_path / "each.png", dpi=150, format="png")
    once = top_ticks()
    save_figure(once, tmp_path, "once")
    assert once._autotitlepos is False  # placed once, then kept
    assert once.title.get_position()[1] > 1.0  # moved up, clear of the top tick labels
    assert _same_pixels(tmp_path / "each.png", tmp_path / "once.png")


def _engine_layout(fig, dpi):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    fig.get_layout_engine().execute(fig)


def _auto_ticks(_data, *, actor):
    # an axis whose ticks depend on its length (AutoLocator): long tick labels on the
    # left shrink the axes, which may drop ticks: then the engine itself lays it out
    from som_mc.present.plotting._style import new_axes

    ax = new_axes(None, (4.0, 3.0))
    ax.plot([0.0, 1.0e6], [0.0, 1.0])
    ax.set_yticks([0.0, 0.5, 1.0], ["en meget lang etiket " * 2, "b", "c"])
    ax.set_title(actor)
    return ax


def _with_suptitle(data, *, actor):
    ax = plot_tornado(data, actor=actor)
    ax.figure.suptitle("Overskrift")
    return ax


@pytest.mark.parametrize(
    "kind", ["tornado", "spider", "sobol", "sobol_by_year", "auto_ticks", "suptitle"]
)
def test_fix_layout_places_the_axes_where_constrained_layout_does(kind):
    from som_mc.present.plotting._style import fix_layout
    from som_mc.present.plotting.sensitivity import plot_sobol, plot_spider

    case = _grouped_case()
    tor = tornado(case)
    data = {
        "tornado": (plot_tornado, tor),
        "spider": (plot_spider, spider(case, inputs=list(tor.input.values[:2]))),
        "sobol": (plot_sobol, sobol_analysis(case, n_base=32, seed=2)),
        "sobol_by_year": (plot_sobol_by_year, sobol_analysis(case, n_base=32, seed=2)),
        "auto_ticks": (_auto_ticks, None),
        "suptitle": (_with_suptitle, tor),
    }
    plot, values = data[kind]
    for actor in ("kommune", "total"):
        ours, engine = plot(values, actor=actor), plot(values, actor=actor)
        fix_layout(ours.figure, 150)
        _engine_layout(engine.figure, 150)
        assert ours.figure.get_layout_engine() is None
        np.testing.assert_allclose(
            ours.get_position().bounds, engine.get_position().bounds, rtol=0, atol=1e-9
        )


def _broken_plot(data, *, actor):
    raise ValueError(f"cannot draw {actor}")


def _square(v: int) -> int:
    return v * v


def _write_all(out: Path, helper: bool) -> None:
    sob = sobol_analysis(_grouped_case(), n_base=32, seed=2)
    # a helper process really draws, unless other threads run here (then nothing forks)
    forks = helper and threading.active_count() == 1
    with FigureWriter(out, helper=helper) as figs:
        assert figs.run(_square, 7)() == 49
        assert (figs.run(os.getpid)() != os.getpid()) == forks
        for actor in ("kommune", "total"):
            figs.add(plot_sobol_by_year, sob, f"by_year_{actor}", actor=actor)
            figs.add(plot_tornado, tornado(_grouped_case()), f"tornado_{actor}", actor=actor)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the helper forks (Linux)")
def test_figures_are_the_same_files_whichever_process_draws_them(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    _write_all(one, helper=True)
    _write_all(two, helper=False)
    names = sorted(p.name for p in one.iterdir())
    assert names == sorted(p.name for p in two.iterdir())
    assert len(names) == 8 and not [n for n in names if n.startswith(".")]
    for name in names:
        if name.endswith(".png"):
            assert (one / name).read_bytes() == (two / name).read_bytes()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the helper forks (Linux)")
@pytest.mark.parametrize("helper", [True, False])
def test_a_figure_that_fails_raises_and_leaves_no_partial_file(tmp_path, helper):
    tor = tornado(_grouped_case())
    with pytest.raises(ValueError, match="cannot draw region"):
        with FigureWriter(tmp_path, helper=helper) as figs:
            figs.add(plot_tornado, tor, "a", actor="kommune")
            figs.add(_broken_plot, tor, "b", actor="region")
            figs.add(plot_tornado, tor, "c", actor="total")
    names = {p.name for p in tmp_path.iterdir()}
    assert {"c.png", "c.svg"} <= names  # drawn (from the last) before the failing one
    assert not {"b.png", "b.svg"} & names
    assert not list(tmp_path.glob(".*"))  # no temporary part or lock left


def test_tornado_command_imports_neither_scipy_stats_nor_optimize_nor_dask(tmp_path):
    argv = ["sensitivity", str(CASE), "--method", "tornado", "--out", str(tmp_path), "--seed", "1"]
    result = cli_imports(argv, ("scipy.stats", "scipy.optimize", "dask", "numba"))
    got = {"status": result["status"], "heavy": result["imported"]}
    assert got == {"status": 0, "heavy": []}
    assert len(list(tmp_path.glob("*.png"))) == 8


_PARENT = os.getpid()


def _tornado_dies_in_helper(data, *, actor):
    if os.getpid() != _PARENT:
        os._exit(3)  # the helper process dies mid-figure
    return plot_tornado(data, actor=actor)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the helper forks (Linux)")
def test_a_helper_that_dies_leaves_its_figures_to_this_process(tmp_path):
    tor = tornado(_grouped_case())
    with FigureWriter(tmp_path, helper=True) as figs:
        for actor in ("kommune", "total"):
            figs.add(_tornado_dies_in_helper, tor, f"t_{actor}", actor=actor)
            figs.add(plot_tornado, tor, f"u_{actor}", actor=actor)
    names = sorted(p.name for p in tmp_path.iterdir())
    stems = [f"{s}_{a}" for s in "tu" for a in ("kommune", "total")]
    assert names == sorted(f"{stem}.{ext}" for stem in stems for ext in ("png", "svg"))


def test_fonts_read_from_memory_give_the_same_files_and_stay_inside_the_block(tmp_path):
    from matplotlib import font_manager

    from som_mc.present.figure_files import _savefig
    from som_mc.present.plotting._fonts import fonts_in_memory
    from som_mc.present.plotting._style import fix_layout

    tor = tornado(_grouped_case())
    original = font_manager._get_font

    def write(stem: str) -> None:
        fig = plot_tornado(tor, actor="kommune").figure
        fix_layout(fig, 150)
        _savefig(fig, "png", tmp_path / f"{stem}.png")
        with matplotlib.rc_context({"svg.hashsalt": "fixed"}):
            fig.savefig(tmp_path / f"{stem}.svg", format="svg", metadata={"Date": None})

    write("path")
    with fonts_in_memory():
        assert font_manager._get_font is not original
        font = font_manager.get_font(font_manager.findfont("DejaVu Sans"))
        assert not isinstance(font.fname, str)  # an in-memory copy of the file
        write("memory")
    assert font_manager._get_font is original
    # outside the block matplotlib's own fonts, opened by path (a PDF needs the path)
    assert isinstance(font_manager.get_font(font_manager.findfont("DejaVu Sans")).fname, str)
    for ext in ("png", "svg"):
        assert (tmp_path / f"path.{ext}").read_bytes() == (tmp_path / f"memory.{ext}").read_bytes()
    assert (tmp_path / "memory.svg").read_text(encoding="utf-8").count("<use ") > 30


_EARLY_WRITER = """
import os, sys
from pathlib import Path

from som_mc.present.figure_files import FigureWriter, PlotRef

out, alone, marks = (Path(p) for p in sys.argv[1:4])
figs = FigureWriter(out, helper=True)
figs.start(warm=("xarray", "som_mc.present.plotting.sensitivity"))
assert "matplotlib" not in sys.modules  # the helper imports it; this process not yet

from early_plots import plot  # imported after the fork: the helper imports it by name

from som_mc import load_case
from som_mc.results.schema import xarray_without_dask
from som_mc.sensitivity import tornado

with xarray_without_dask():  # as the command does
    tor = tornado(load_case(sys.argv[4]))
with figs:
    for actor in ("kommune", "region", "stat", "total"):
        figs.add(plot, tor, f"tornado_{actor}", actor=actor, run="helper", marks=marks)
print("matplotlib" in sys.modules)  # the helper and its twin drew every figure
with FigureWriter(alone, helper=False) as one:
    for actor in ("kommune", "region", "stat", "total"):
        one.add(plot, tor, f"tornado_{actor}", actor=actor, run="alone", marks=marks)
print(os.getpid())
"""

_EARLY_PLOTS = """
import os, sys

from som_mc.present.figure_files import PlotRef


def plot(data, *, actor, run, marks):
    ax = PlotRef("som_mc.present.plotting.sensitivity", "plot_tornado")(data, actor=actor)
    (marks / f"{run}-{actor}-{os.getpid()}-{'dask' in sys.modules}").touch()
    return ax
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the helper forks (Linux)")
def test_a_writer_started_before_the_imports_draws_the_same_files_without_dask(tmp_path):
    import subprocess

    out, alone, marks = tmp_path / "out", tmp_path / "alone", tmp_path / "marks"
    for folder in (out, alone, marks):
        folder.mkdir()
    script = tmp_path / "early.py"
    script.write_text(_EARLY_WRITER)
    (tmp_path / "early_plots.py").write_text(_EARLY_PLOTS)
    proc = subprocess.run(
        [sys.executable, str(script), str(out), str(alone), str(marks), str(CASE)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    imported, parent = proc.stdout.split()[-2:]
    drawn = [p.name.split("-") for p in marks.iterdir()]
    # 4 figures with the helper, 4 without; the helper and its twin drew them (two other
    # processes), and this one imported no matplotlib for them
    assert sorted(run for run, *_ in drawn) == ["alone"] * 4 + ["helper"] * 4
    drawers = {pid for run, _, pid, _ in drawn if run == "helper"}
    assert parent not in drawers and len(drawers) == 2
    assert imported == "False"
    assert {dask for *_, dask in drawn} == {"False"}  # neither process imported dask
    names = sorted(p.name for p in alone.iterdir())
    assert names == sorted(p.name for p in out.iterdir()) and len(names) == 8
    for name in names:
        if name.endswith(".png"):
            assert (out / name).read_bytes() == (alone / name).read_bytes()


def _run_forking_script(folder: Path, script: str, *args: str, **modules: str) -> Any:
    """Run `script` (with `modules`, name to source, beside it) in a fresh interpreter.

    The full suite runs threads, and a process with threads is never forked; the scripts
    that need the helper (and its twin) run where nothing else does. Returns the finished
    process, asserted to have succeeded.
    """
    import subprocess

    path = folder / "script.py"
    path.write_text(script)
    for name, source in modules.items():
        (folder / f"{name}.py").write_text(source)
    proc = subprocess.run(
        [sys.executable, str(path), *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


_TWIN_DIES = """
import os, signal, sys, time
from pathlib import Path

from som_mc.present.figure_files import FigureWriter, PlotRef

out = Path(sys.argv[1])
figs = FigureWriter(out, helper=True)
figs.start(warm=("som_mc.present.plotting.sensitivity",))
twin = figs._warmed.result()
assert twin is not None, "no twin"
os.kill(twin, signal.SIGKILL)
for _ in range(100):
    if figs.run(os.waitpid, twin, os.WNOHANG)() != (0, 0):
        break  # the helper reaped it: it is gone
    time.sleep(0.05)

from som_mc import load_case
from som_mc.sensitivity import tornado

tor = tornado(load_case(sys.argv[2]))
with figs:
    for actor in ("kommune", "region", "stat", "total"):
        figs.add(PlotRef("som_mc.present.plotting.sensitivity", "plot_tornado"), tor,
                 f"tornado_{actor}", actor=actor)
print(sorted(p.name for p in out.iterdir()))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the helper forks (Linux)")
def test_a_twin_that_dies_leaves_its_share_to_this_process(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    proc = _run_forking_script(tmp_path, _TWIN_DIES, str(out), str(CASE))
    names = [
        f"tornado_{a}.{ext}"
        for a in ("kommune", "region", "stat", "total")
        for ext in ("png", "svg")
    ]
    assert proc.stdout.split("\n")[-2] == str(sorted(names))


_HELPER_DIES = """
import os, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import helper_plots  # before the fork: the helper and its twin know its functions

from som_mc.present.figure_files import FigureWriter

out = Path(sys.argv[1])
figs = FigureWriter(out, helper=True)
figs.start(warm=("som_mc.present.plotting.sensitivity",))
assert figs._warmed.result() is not None, "no twin"
helper = figs.run(os.getpid)()

from som_mc import load_case
from som_mc.sensitivity import tornado

tor = tornado(load_case(sys.argv[2]))
plot = helper_plots.dies_in
with figs:
    figs.add(plot, tor, "first", actor="kommune", pid=helper)  # the helper's: it dies
    figs.add(lambda data, **kw: plot(data, **kw), tor, "lambda", actor="region", pid=helper)
    for actor in ("stat", "total"):  # the twin's
        figs.add(plot, tor, f"tornado_{actor}", actor=actor, pid=helper)
print(sorted(p.name for p in out.iterdir()))
"""

_HELPER_PLOTS = """
import os

from som_mc.present.figure_files import PlotRef


def dies_in(data, *, actor, pid):
    if os.getpid() == pid:
        os._exit(3)
    return PlotRef("som_mc.present.plotting.sensitivity", "plot_tornado")(data, actor=actor)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the helper forks (Linux)")
def test_a_helper_that_dies_with_its_twin_alive_leaves_its_figures_to_this_process(tmp_path):
    # the twin holds none of the helper's pipes: the executor sees the helper die (and a
    # figure that does not pickle is drawn here)
    out = tmp_path / "out"
    out.mkdir()
    proc = _run_forking_script(
        tmp_path, _HELPER_DIES, str(out), str(CASE), helper_plots=_HELPER_PLOTS
    )
    names = [
        f"{n}.{ext}"
        for n in ("first", "lambda", "tornado_stat", "tornado_total")
        for ext in ("png", "svg")
    ]
    assert proc.stdout.split("\n")[-2] == str(sorted(names))


_TWIN_FAILS = """
import os, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import twin_plots  # before the fork: the helper and its twin know its functions

from som_mc.present.figure_files import FigureWriter

out = Path(sys.argv[1])
figs = FigureWriter(out, helper=True)
figs.start(warm=())
twin_plots.TWIN = figs._warmed.result()
assert twin_plots.TWIN is not None, "no twin"
try:
    with figs:
        figs.add(twin_plots.plot, None, "helpers", twin=twin_plots.TWIN)
        figs.add(twin_plots.plot, None, "bad", twin=twin_plots.TWIN)
except ValueError as exc:
    print(exc)
print(sorted(p.name for p in out.iterdir()))
"""

_TWIN_PLOTS = """
import os

from matplotlib.figure import Figure

PARENT = os.getpid()


def plot(data, *, twin):
    if os.getpid() == twin:
        raise RuntimeError("in the twin")
    if os.getpid() == PARENT:
        raise ValueError(f"drawn in {os.getpid()}")
    return Figure(figsize=(2, 1)).add_subplot()  # the helper's
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the helper forks (Linux)")
def test_a_figure_the_twin_fails_on_raises_its_error_in_this_process(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    proc = _run_forking_script(tmp_path, _TWIN_FAILS, str(out), twin_plots=_TWIN_PLOTS)
    error, files = proc.stdout.splitlines()[-2:]
    assert error.startswith("drawn in ")  # the error of this process's own drawing
    assert files == str(["helpers.png", "helpers.svg"])  # nothing of the failed figure
    assert "Traceback" not in proc.stderr  # the twin printed nothing


def test_a_plot_reference_pickles_and_draws_what_its_function_draws():
    import pickle

    from som_mc.present.figure_files import PlotRef

    ref = PlotRef("som_mc.present.plotting.sensitivity", "plot_tornado")
    again = pickle.loads(pickle.dumps(ref))
    assert again == ref
    tor = tornado(_grouped_case())
    ax = again(tor, actor="kommune")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [t.get_text() for t in plot_tornado(tor, actor="kommune").get_yticklabels()]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the helper forks (Linux)")
def test_a_started_writer_stopped_before_any_figure_ends_its_helper_and_writes_nothing(
    tmp_path,
):
    figs = FigureWriter(tmp_path, helper=True)
    figs.start(warm=("json",))
    pid = figs.run(os.getpid)()  # the helper's (this process's when nothing forked)
    figs.stop()
    assert list(tmp_path.iterdir()) == []
    if pid != os.getpid():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # ended and reaped


def test_the_sensitivity_files_module_imports_no_matplotlib_until_a_figure_is_drawn():
    import subprocess

    code = "import sys, som_mc.present.sensitivity_files; print('matplotlib' in sys.modules)"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False"]


def _raise_on_sigterm(signum, frame):  # pragma: no cover - never called
    raise KeyboardInterrupt


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the helper forks (Linux)")
def test_the_figure_helper_ends_on_sigterm_whatever_handler_the_command_had(tmp_path):
    import signal

    previous = signal.signal(signal.SIGTERM, _raise_on_sigterm)  # as the CLI's does
    try:
        figs = FigureWriter(tmp_path, helper=True)
        handler = figs.run(signal.getsignal, signal.SIGTERM)()
        pid = figs.run(os.getpid)()
        figs.stop()
    finally:
        signal.signal(signal.SIGTERM, previous)
    if pid != os.getpid():  # a helper ran them (no other threads here)
        from som_mc.present.figure_files import _end_helper

        assert handler == _end_helper
    else:  # pragma: no cover - computed here: this process's handler
        assert handler is _raise_on_sigterm


_STOP_MID_FILE = """
import os, sys, threading, time
from pathlib import Path

import matplotlib.artist

from som_mc import load_case
from som_mc.present.figure_files import FigureWriter
from som_mc.present.plotting.sensitivity import plot_tornado
from som_mc.sensitivity import tornado

PARENT = os.getpid()
out, started = Path(sys.argv[1]), Path(sys.argv[2])


class SlowWhileWriting(matplotlib.artist.Artist):
    def draw(self, renderer):
        if list(out.glob(".*.part*")):  # inside the atomic write: a part file exists
            started.touch()
            time.sleep(30)


def slow_in_helper(data, *, actor):
    ax = plot_tornado(data, actor=actor)
    if os.getpid() != PARENT:
        ax.add_artist(SlowWhileWriting())
    return ax


figs = FigureWriter(out, helper=True)
figs.add(slow_in_helper, tornado(load_case(sys.argv[3])), "slow", actor="kommune")
assert figs._pool is not None, "no helper"
for _ in range(300):  # until the helper is inside the file's write
    if started.exists():
        break
    time.sleep(0.1)
assert started.exists(), "the helper never wrote"
stopping = threading.Thread(target=figs.stop, daemon=True)
stopping.start()
stopping.join(10)
assert not stopping.is_alive(), "stop() waited for the helper's figure"
print(sorted(p.name for p in out.iterdir()))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the helper forks (Linux)")
def test_stop_ends_a_helper_mid_file_at_once_and_leaves_no_part_or_lock(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    proc = _run_forking_script(
        tmp_path, _STOP_MID_FILE, str(out), str(tmp_path / "started"), str(CASE)
    )
    assert proc.stdout.split() == ["[]"]  # no figure, no part file, no lock
