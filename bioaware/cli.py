"""Command line: `bioaware demo | train | sweep | evaluate | sample | export | simulate | compare | analyse | deploy |
inspect | check | summary` (each with --help)."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from bioaware.core.errors import BioawareError, Interrupted
from bioaware.core.memory import reuse_freed_memory
from bioaware.targets import TARGETS

DEMO_TARGET = "spinnaker"  # needs no environment of its own: sPyNNaker's virtual board and PyNN on Brian2
DEMO_STEPS = (1.0, 0.1)  # Brian2 dt of the demo's comparison, as fractions of the training step
EPILOG = "Runs write runs/<name>/: config.json, provenance.json, metrics.jsonl, results.json, *.ckpt, figures/*.png."


def _positive_int(text: str) -> int:
    """argparse type: a whole number ≥ 1 (argparse turns the error into one line and exit status 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number > 0")
    return value


def _run_dir(config_path: Path, name: str, out: str | None) -> Path:
    return Path(out) if out else config_path.parent / name


def _print_results(results: dict, run_dir: Path, family) -> None:
    print(f"\ntest metrics ({run_dir}):")
    print(family.results_table(results))
    print(f"figures: {run_dir / 'figures'}")


def cmd_train(args) -> int:
    from bioaware.families import family_of, load_config
    from bioaware.families.runs import run_training

    cfg = load_config(args.config, args.set)
    run_dir = _run_dir(Path(args.config), cfg.run.name, args.out)
    results = run_training(cfg, run_dir, fresh=args.fresh, max_batches=args.max_batches,
                           until_epoch=args.until_epoch)
    if results:
        _print_results(results, run_dir, family_of(cfg))
    return 0


def cmd_sweep(args) -> int:
    from bioaware.families import family_of, load_config
    from bioaware.families.sweep import results_table, sweep, sweep_figure

    runs = sweep(Path(args.config), args.grid, args.set, args.jobs, args.out_root, args.cluster)
    cfg = load_config(Path(args.config), args.set)
    family = family_of(cfg)
    print(results_table(runs, family.sweep_metrics[0]))
    figure = Path(args.out_root or Path(args.config).parent) / f"{cfg.run.name}_sweep.png"
    sweep_figure(runs, args.grid, family.sweep_metrics, figure)
    print(f"figure: {figure}")
    return 0


def cmd_demo(args) -> int:
    from bioaware.compare import compare_family_run
    from bioaware.core.config import tomllib
    from bioaware.core.log import info
    from bioaware.families import checked_config, family_of
    from bioaware.families.export import exported_graph
    from bioaware.families.runs import run_training
    from bioaware.targets.deploy import deploy_run

    text = resources.files("bioaware.configs").joinpath("demo.toml").read_text()
    cfg = checked_config(tomllib.loads(text), "bioaware/configs/demo.toml")
    if args.epochs:
        cfg.train.epochs = args.epochs
    run_dir, export_root = Path(args.out), Path(args.export_root)
    info(f"demo 1/4: training {cfg.model.kind} and its baselines in {run_dir} (resumes where it stopped)")
    results = run_training(cfg, run_dir, max_batches=args.max_batches)
    if not results:
        info("stopped before the end; run the same command again to resume")
        return 0
    _print_results(results, run_dir, family_of(cfg))
    info(f"demo 2/4: exporting to NIR: {exported_graph(run_dir, export_root)}")
    info(f"demo 3/4: the exported graph in Brian2 beside the trained model, {args.images} test images")
    page = compare_family_run(family_of(cfg).name, run_dir, args.images, DEMO_STEPS)
    info(f"demo 4/4: deploying to {TARGETS[DEMO_TARGET][0]}")
    deploy_run(run_dir, DEMO_TARGET, images=args.images, export_root=export_root)
    print(f"report: {page} (targets: {page.with_name('targets.html')})")
    return 0


def cmd_evaluate(args) -> int:
    from bioaware.families import family_of
    from bioaware.families.runs import evaluate_run

    run, cfg, results = evaluate_run(Path(args.run))
    _print_results(results, run.path, family_of(cfg))
    return 0


def cmd_sample(args) -> int:
    import torch

    from bioaware.core.figures import reconstruction_grid
    from bioaware.families.runs import build_tasks, open_run, restore

    run, cfg, config = open_run(Path(args.run))
    generative = [task for task, _ in build_tasks(cfg) if hasattr(task, "sample")]
    if not generative:
        raise BioawareError(f"{args.run}: model.kind = {cfg.model.kind!r} does not generate images; sample a "
                            "spiking_gan or fsvae run")
    task = restore(generative[0], run, config)
    samples = task.sample(args.n, torch.Generator().manual_seed(args.seed))
    columns = min(10, args.n)
    blank = torch.zeros(-args.n % columns, samples.shape[1])  # the last row filled up with black squares
    grid = torch.cat([samples, blank]).numpy()
    rows = {str(r): grid[r * columns:(r + 1) * columns] for r in range(len(grid) // columns)}
    path = Path(args.out) if args.out else run.figures / f"samples_{args.n}_seed{args.seed}.png"
    reconstruction_grid(rows, path, f"{run.path.name}: {task.phase}, {args.n} samples, seed {args.seed}", task.shape)
    print(f"wrote {path}")
    return 0


def cmd_speak2digit(args) -> int:
    from bioaware.families.speak_to_digit import speak_to_digit

    reading = speak_to_digit(Path(args.run), Path(args.wav), Path(args.out), args.seed)
    said = f" (the run's classifier reads {reading['digit']}, p = {reading['probability']:.2f})" if "digit" in reading \
        else ""
    print(f"wrote {args.out}{said}")
    return 0


def cmd_export(args) -> int:
    from bioaware.families.export import export_nir

    print(f"wrote {export_nir(Path(args.run), Path(args.export_root))}")
    return 0


def cmd_simulate(args) -> int:
    if _is_nir_file(args.run):
        if args.cluster:
            raise BioawareError(f"{args.run}: --cluster splits a run's test images over workers; a NIR file's input "
                                "runs in one process, so leave it out")
        return _simulate_nir_file(args)
    from bioaware.compare.test_set import simulate_test_set

    r = simulate_test_set(Path(args.run), images=args.images, device=args.device or "cpp_standalone",
                          dt_factor=args.dt_factor, order=args.order, copies=args.copies, cluster=args.cluster)
    print(f"{r['run']}: {r['images']} test images in Brian2 ({r['device']}, dt {r['dt_ms']:g} ms, {r['order']} order, "
          f"{r['shards']} shard(s) × {r['copies']} copies × {r['windows']} windows): MSE {r['mse']:.4f}, "
          f"Spike-MSE {r['spike_mse']:.3f}, {r['images_per_second']:.0f} images/s including build "
          f"({r['images_per_simulation_second']:.0f} without)")
    return 0


def _is_nir_file(path: str) -> bool:
    return Path(path).suffix.lower() in (".nir", ".h5", ".hdf5") or Path(path).is_file()


def _simulate_nir_file(args) -> int:
    from bioaware.compare.nir_simulate import parsed_file, simulate_file
    from bioaware.interchange.spike_convention import parse_convention, stated_convention
    from bioaware.interchange.spike_input import example_input

    path = Path(args.run)
    if args.example_input:
        parsed = parsed_file(path)
        target = Path(args.example_input).with_suffix(".npz")
        stated = stated_convention(parsed.metadata)  # a graph of one-step pulses gets rasters of its step
        step = (parse_convention(stated, f"{path}: metadata spike_convention").step if stated else 0.0) or 1e-3
        example_input({n: parsed.populations[n].size for n in parsed.inputs}, target, dt=step)
        print(f"wrote {target}: a random raster (dt {step * 1e3:g} ms, 100 steps) for {', '.join(parsed.inputs)}; "
              f"run\n  bioaware simulate {path} --input {target}")
        return 0
    if not args.input:
        raise BioawareError(f"{path}: give the input spikes with --input FILE (.npz of times/channels or a raster), "
                            "or write an example with --example-input FILE")
    out = Path(args.out) if args.out else path.with_name(path.stem + "_brian2")
    record = tuple(n for n in (args.record or "").split(",") if n)
    r = simulate_file(path, Path(args.input), out, dt=_seconds(args.dt, "--dt"),
                      duration=_seconds(args.duration, "--duration"), spikes=args.spikes, record=record,
                      device=args.device or "runtime", input_dt=_seconds(args.input_dt, "--input-dt"))
    counts = ", ".join(f"{name} {n}" for name, n in r["spikes"].items())
    print(f"{path}: {r['duration_s'] * 1e3:g} ms at dt {r['dt_s'] * 1e3:g} ms ({r['spike_convention']} spikes, "
          f"{r['device']}): spikes {counts or 'none recorded'}\nresults: {out}/spikes.npz, {out}/raster.png")
    return 0


def _seconds(text: str | None, flag: str) -> float | None:
    """A time in s, or with a unit: '0.1ms', '1e-4', '20 ms'."""
    if text is None:
        return None
    import math

    from bioaware.interchange.spike_convention import seconds

    value = seconds(text)
    if math.isnan(value):  # not a positive time
        raise BioawareError(f"{flag}: {text!r} is not a positive time; give seconds or a unit, e.g. 0.1ms")
    return value


def _factor(text: str) -> float:
    try:
        return _positive_float(text)
    except argparse.ArgumentTypeError as exc:
        raise BioawareError(f"--dt-factors: {exc}; give positive numbers separated by commas, e.g. 1,0.1") from None


def cmd_compare(args) -> int:
    from bioaware.compare import compare_family_run
    from bioaware.families import family_of
    from bioaware.families.runs import open_run

    steps = tuple(_factor(f) for f in args.dt_factors.split(",")) if args.dt_factors else None
    family = family_of(open_run(Path(args.run))[1]).name
    print(f"report: {compare_family_run(family, Path(args.run), args.images, steps, args.device, args.cluster)}")
    return 0


def cmd_analyse(args) -> int:
    from bioaware.compare.embedding import analyse_run

    for run in args.runs:
        r = analyse_run(Path(run), n_train=args.train_images, n_test=args.test_images)
        print(f"{r['run']}: SVM on hidden spike times {r['svm_hidden_times']:.4f} vs pixels {r['svm_pixels']:.4f}; "
              f"figures in {Path(run) / 'analysis'}")
    return 0


def cmd_deploy(args) -> int:
    from bioaware.targets.deploy import deploy_run

    deploy_run(Path(args.run), args.target, images=args.images, export_root=Path(args.export_root))
    print(f"report: {Path(args.run) / 'compare' / 'targets.html'}")
    return 0


def cmd_inspect(args) -> int:
    from bioaware.brian.nir_network import describe_graph, refuse_continuous_edges
    from bioaware.interchange.nir_graph import parse_graph, read_nir
    from bioaware.interchange.spike_convention import parse_convention, stated_convention, training_step

    parsed = parse_graph(read_nir(args.file), args.file)
    meta, step = parsed.metadata, training_step(parsed.metadata, args.file)
    kinds = sorted({p.kind for p in parsed.populations.values()} - {"Input", "Output"})
    print(f"{args.file}: {len(parsed.node_types)} nodes, {len(parsed.pathways)} pathways; neurons: "
          f"{', '.join(kinds) or 'none'}" + (f"; training step {step * 1e3:g} ms" if step else "")
          + (f"; model {meta['model']}" if "model" in meta else ""))
    print("\n".join(describe_graph(parsed)))
    cycles = parsed.cycles()
    print("cycles: " + ("; ".join(" ↔ ".join(c) for c in cycles) if cycles else "none (feed-forward)"))
    refuse_continuous_edges(parsed)
    stated = stated_convention(meta)
    shown = str(parse_convention(stated, f"{args.file}: metadata spike_convention")) if stated else None
    print(f"spike convention: {shown or 'not stated: choose with --spikes dirac or --spikes step:<dt>'}")
    return 0


def cmd_check(args) -> int:
    from bioaware.check.conformance import IMPORTERS, check_graph
    from bioaware.interchange.nir_graph import parse_graph, read_nir
    from bioaware.interchange.spike_convention import convention_of
    from bioaware.interchange.spike_input import file_step, read_spike_input, trains_to_raster

    path = Path(args.file)
    graph = read_nir(path)
    parsed = parse_graph(graph, str(path))
    convention = convention_of(parsed.metadata, args.spikes, str(path))
    step = _seconds(args.input_dt, "--input-dt") or file_step(args.input) or convention.step
    if not step:
        raise BioawareError(f"--input {args.input}: the frameworks run in steps; give a raster with its 'dt', "
                            "--input-dt, or --spikes step:<dt>")
    frameworks = tuple(f for f in (args.frameworks or "").split(",") if f)
    unknown = set(frameworks) - set(IMPORTERS)
    if unknown:
        raise BioawareError(f"--frameworks: unknown {sorted(unknown)}; choose from {', '.join(IMPORTERS)}")
    if len(parsed.inputs) != 1:
        raise BioawareError(f"{path}: check runs graphs with one Input node (this one has {len(parsed.inputs)})")
    node = parsed.inputs[0]
    channels, times = read_spike_input(args.input, {node: parsed.populations[node].size},
                                       _seconds(args.input_dt, "--input-dt"))[node]
    raster = trains_to_raster(channels, times, parsed.populations[node].size, step)
    out = Path(args.out) if args.out else path.with_name(path.stem + "_check")
    report = check_graph(graph, parsed, raster, step, out, spikes=str(convention),
                         dt=_seconds(args.dt, "--dt"), importers=frameworks or None)
    for name, entry in report["frameworks"].items():
        if "skipped" in entry:
            print(f"  {name}: skipped ({entry['skipped']})")
            continue
        for n, row in entry["nodes"].items():
            if "missing" in row:
                print(f"  {name} {n}: {row['missing']}")
                continue
            if "trace_correlation" in row:
                print(f"  {name} {n}: membrane trace correlation {row['trace_correlation']:.3f}")
                continue
            print(f"  {name} {n}: spikes {row['spikes']} vs Brian2 {row['spikes_brian2']}, count correlation "
                  f"{row['count_correlation']:.3f}, matched ±1 step {row['matched_within_1_step']:.3f}"
                  + ("" if row["agrees"] else " — differs; known differences: " + "; ".join(entry["differences"])))
    print(f"report: {out / 'check.html'}")
    return 0


def cmd_summary(args) -> int:
    from bioaware.train.summary import collect, summary_table

    rows = collect([Path(r) for r in args.runs])
    print(summary_table(rows))
    if args.figure:
        from bioaware.core.figures import mse_bars

        mse_bars([r.label for r in rows], [r.mse for r in rows], [r.paper for r in rows], Path(args.figure))
        print(f"figure: {args.figure}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bioaware", description=__doc__.split("\n")[0] + " — spiking generative "
                                "models from Norse training to exact Brian2 simulation.", epilog=EPILOG)
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train the model of a run config (and its baselines)", epilog=EPILOG)
    t.add_argument("config", help="TOML run config, e.g. runs/roy_ae_mnist.toml")
    t.add_argument("--out", help="run directory (default: runs/<name> beside the config)")
    t.add_argument("--fresh", action="store_true", help="start over: an earlier run in the directory is moved aside to "
                   "<dir>.previous-<time>")
    t.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="override a config key (repeatable), e.g. --set run.seed=1 --set model.leak=0.2")
    t.add_argument("--max-batches", type=_positive_int, help="stop after this many batches per model (resume later)")
    t.add_argument("--until-epoch", type=_positive_int, metavar="E", help="stop each model at the end of epoch E of "
                   "the run, counted from its start (resume later): slices a long schedule at the same epoch for all")
    t.set_defaults(func=cmd_train)
    w = sub.add_parser("sweep", help="train a config at every point of a grid of overrides, then tabulate",
                       epilog="e.g. bioaware sweep runs/comsa_ae_mnist.toml --grid model.hidden=8,16,32 "
                              "--grid train.noise=0,0.2 --jobs 4")
    w.add_argument("config", help="TOML run config")
    w.add_argument("--grid", action="append", required=True, metavar="SECTION.KEY=V1,V2,…",
                   help="one axis of the grid (repeatable; runs are named <name>_<key><value>…)")
    w.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="override for every run")
    w.add_argument("--jobs", type=_positive_int, default=1, help="runs trained at once, one process each (default 1)")
    w.add_argument("--out-root", help="folder of the run directories (default: beside the config)")
    w.add_argument("--cluster", metavar="local[:N]|tcp://HOST:PORT",
                   help="train the runs as tasks on a Dask cluster: N local worker processes, or a scheduler's "
                        "workers (docs: README, 'Running on a cluster')")
    w.set_defaults(func=cmd_sweep)
    e = sub.add_parser("evaluate", help="recompute the test metrics and figures of a trained (or interrupted) run")
    e.add_argument("run", help="run directory, e.g. runs/roy_ae_mnist")
    e.set_defaults(func=cmd_evaluate)
    g = sub.add_parser("sample", help="a grid of images generated by a trained spiking_gan or fsvae run (PNG)")
    g.add_argument("run", help="run directory, e.g. runs/fsvae_mnist")
    g.add_argument("--n", type=_positive_int, default=64, help="samples (default 64; rows of 10)")
    g.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    g.add_argument("--out", help="PNG path (default: RUN/figures/samples_<n>_seed<seed>.png)")
    g.set_defaults(func=cmd_sample)
    v = sub.add_parser("speak2digit", help="a wav file of a spoken digit → the digit image a trained audiocoder draws")
    v.add_argument("wav", help="mono wav file (resampled to 8 kHz), e.g. one of FSDD's recordings")
    v.add_argument("--run", required=True, help="audiocoder run directory, e.g. runs/audiocoder_fsdd_a_best")
    v.add_argument("-o", "--out", default="digit.png", help="PNG of the digit (default digit.png; a panel with the "
                   "spectrogram and hidden code goes beside it as <name>_panel.png)")
    v.add_argument("--seed", type=int, default=0, help="seed of the input spikes (default 0)")
    v.set_defaults(func=cmd_speak2digit)
    x = sub.add_parser("export", help="write a trained run's spiking model as a NIR graph")
    x.add_argument("run", help="run directory, e.g. runs/roy_ae_mnist")
    x.add_argument("--to", choices=["nir"], default="nir", help="format (default: nir)")
    x.add_argument("--export-root", default="export", help="folder for export/<name>/model.nir (default: export)")
    x.set_defaults(func=cmd_export)
    m = sub.add_parser("simulate", help="exact dynamics in Brian2: a trained run's test images, or any NIR file "
                       "on your input spikes", epilog="NIR files: --input takes a .npz with 'times' (s) and "
                       "'channels' (flat index), or 'raster' [steps, *shape] and 'dt' (s), or a .npy raster with "
                       "--input-dt; --example-input FILE writes one. Results: <file>_brian2/spikes.npz, raster.png, "
                       "simulate.json.")
    m.add_argument("run", help="run directory (e.g. runs/roy_ae_mnist) or NIR file (e.g. model.nir)")
    m.add_argument("--input", help="NIR file: input spikes (.npz or .npy, see below)")
    m.add_argument("--input-dt", help="NIR file: the step of a .npy raster (s, or with a unit: 1ms)")
    m.add_argument("--example-input", metavar="FILE", help="NIR file: write a random input file for it and stop")
    m.add_argument("--dt", help="NIR file: simulation step (default: 0.1 ms or τ_min/100, whichever is smaller)")
    m.add_argument("--duration", help="NIR file: simulated time (default: last input spike + 5 τ_max)")
    m.add_argument("--spikes", help="NIR file: what a spike means: dirac (NIR) or step:<dt> (a height-1 pulse "
                   "of one step, as snnTorch/Norse/sinabs export); default: the graph's metadata")
    m.add_argument("--record", help="NIR file: comma-separated neuron nodes whose membrane v is recorded")
    m.add_argument("--out", help="NIR file: output folder (default: <file>_brian2 beside it)")
    m.add_argument("--images", type=_positive_int, default=1000, help="test images (default 1000)")
    m.add_argument("--device", help="Brian2 device (default: cpp_standalone for runs, runtime for NIR files)")
    m.add_argument("--dt-factor", type=_positive_float, default=0.1,
                   help="Brian2 dt as a fraction of the training step")
    m.add_argument("--order", choices=["exact", "matched"], default="exact", help="update order (default exact)")
    m.add_argument("--copies", type=_positive_int, default=100, help="parallel network copies per build (default 100)")
    m.add_argument("--cluster", metavar="local[:N]|tcp://HOST:PORT",
                   help="split the test images over a Dask cluster's workers: local[:N] or tcp://HOST:PORT")
    m.set_defaults(func=cmd_simulate)
    c = sub.add_parser("compare", help="trained (discrete-time) model vs exact Brian2 dynamics on the same spikes")
    c.add_argument("run", help="run directory, e.g. runs/roy_ae_mnist")
    c.add_argument("--images", type=_positive_int, default=20,
                   help="test images, simulated as parallel copies (default 20)")
    c.add_argument("--dt-factors", help="Brian2 dt as fractions of the training step (default 1,0.1,0.01); "
                   "for temporal-coding models, in time units (default 0.01,0.001)")
    c.add_argument("--device", default="runtime", help="Brian2 device: runtime, cython, cpp_standalone, "
                   "cuda_standalone, genn (default runtime)")
    c.add_argument("--cluster", metavar="local[:N]|tcp://HOST:PORT",
                   help="split the test images over a Dask cluster's workers: local[:N] or tcp://HOST:PORT")
    c.set_defaults(func=cmd_compare)
    a = sub.add_parser("analyse", help="temporal-coding runs: SVM on hidden spike times vs pixels, t-SNE, "
                       "interpolation, spike-time and weight histograms")
    a.add_argument("runs", nargs="+", help="run directories of comsa_ae runs")
    a.add_argument("--train-images", type=_positive_int, default=5000, help="SVM training images (default 5000)")
    a.add_argument("--test-images", type=_positive_int, default=2000, help="SVM test images (default 2000)")
    a.set_defaults(func=cmd_analyse)
    y = sub.add_parser("deploy", help="run a trained run's NIR graph through a neuromorphic toolchain, vs Brian2")
    y.add_argument("run", help="run directory, e.g. runs/roy_ae_mnist")
    y.add_argument("--target", required=True, choices=list(TARGETS),
                   help="; ".join(f"{name}: {what}" for name, (_, what) in TARGETS.items()))
    y.add_argument("--images", type=_positive_int, default=20, help="test images (default 20)")
    y.add_argument("--export-root", default="export", help="where the run's NIR graph is (default export/)")
    y.set_defaults(func=cmd_deploy)
    i = sub.add_parser("inspect", help="check any NIR file: nodes, shapes, edges, cycles, what each becomes in Brian2")
    i.add_argument("file", help="NIR file, e.g. export/roy_ae_mnist/model.nir")
    i.set_defaults(func=cmd_inspect)
    check_help = ("one NIR file and input through Brian2 (reference) and every installed NIR importer (norse, "
                  "snntorch, sinabs, lava, pynn): per-node spike agreement and known differences")
    k = sub.add_parser("check", help=check_help, description=check_help[0].upper() + check_help[1:] + ".",
                       epilog="Writes check.json, check.html and a raster per node into --out.")
    k.add_argument("file", help="NIR file")
    k.add_argument("--input", required=True, help="input spikes (.npz/.npy, as for simulate)")
    k.add_argument("--input-dt", help="the frameworks' step (s or with a unit); default: the input raster's dt or "
                   "the step of --spikes")
    k.add_argument("--spikes", help="what a spike means for Brian2: dirac or step:<dt> (default: the graph's metadata)")
    k.add_argument("--dt", help="Brian2's simulation step (default: 0.1 ms or τ_min/100, whichever is smaller)")
    k.add_argument("--frameworks", help="comma-separated subset of norse,snntorch,sinabs,lava,pynn (default: all)")
    k.add_argument("--out", help="report folder (default: <file>_check beside it)")
    k.set_defaults(func=cmd_check)
    s = sub.add_parser("summary", help="Markdown table of finished runs beside the paper's figures")
    s.add_argument("runs", nargs="+", help="run directories, e.g. runs/roy_ae_mnist*/")
    s.add_argument("--figure", metavar="PNG", help="also draw the test MSE of every row as bars")
    s.set_defaults(func=cmd_summary)
    d = sub.add_parser("demo", help="the whole pipeline on the embedded MNIST subset: train a small autoencoder, "
                                     "export it to NIR, simulate it in Brian2, compare, deploy (a few minutes)")
    d.add_argument("--out", default="runs/demo", help="run directory (default: runs/demo)")
    d.add_argument("--export-root", default="export", help="folder of exported graphs (default: export)")
    d.add_argument("--epochs", type=_positive_int, help="override the demo's 25 epochs")
    d.add_argument("--images", type=_positive_int, default=10, help="test images simulated (default: 10)")
    d.add_argument("--max-batches", type=_positive_int, help="stop training after this many batches (resume later)")
    d.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    reuse_freed_memory()
    try:
        return args.func(args)
    except BioawareError as exc:
        print(f"bioaware: error: {exc}", file=sys.stderr)
        return 2
    except Interrupted as exc:
        print(f"bioaware: {exc}; run the same command again to resume", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("bioaware: aborted", file=sys.stderr)
        return 130
    except OSError as exc:  # a read-only or full disk, a file where a folder belongs, …
        where = exc.filename or "a file"
        print(f"bioaware: error: {where}: {exc.strerror or exc}; check the path, its permissions and the free "
              "space", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
