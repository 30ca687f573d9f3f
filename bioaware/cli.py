"""Command line: `bioaware train | evaluate | export | simulate | compare | deploy | inspect | summary | demo` (each with --help)."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from bioaware.errors import BioawareError, Interrupted

EPILOG = "Runs write runs/<name>/: config.json, provenance.json, metrics.jsonl, results.json, *.ckpt, figures/*.png."


def _run_dir(config_path: Path, name: str, out: str | None) -> Path:
    return Path(out) if out else config_path.parent / name


def _print_results(results: dict, run_dir: Path) -> None:
    print(f"\ntest metrics ({run_dir}):")
    if any("accuracy" in r for r in results.values()):
        from bioaware.train.ttfs_classifier import accuracy_table

        print(accuracy_table(results))
        print(f"figures: {run_dir / 'figures'}")
        return
    if any("frechet" in r for r in results.values()):
        from bioaware.train.gan import quality_table

        print(quality_table(results))
        print(f"figures: {run_dir / 'figures'}")
        return
    print(f"  {'model':<18} {'MSE':>8} {'Spike-MSE':>10} {'pixel MSE':>10}")
    for phase, r in results.items():
        spike = f"{r['spike_mse']:.3f}" if "spike_mse" in r else "-"
        pixel = f"{r['pixel_mse']:.4f}" if "pixel_mse" in r else "-"
        print(f"  {phase:<18} {r['mse']:>8.4f} {spike:>10} {pixel:>10}")
    print(f"figures: {run_dir / 'figures'}")


def cmd_train(args) -> int:
    from bioaware.config import load_config
    from bioaware.train.pipeline import run_training

    cfg = load_config(args.config, args.set)
    run_dir = _run_dir(Path(args.config), cfg.run.name, args.out)
    results = run_training(cfg, run_dir, fresh=args.fresh, max_batches=args.max_batches)
    if results:
        _print_results(results, run_dir)
    return 0


def cmd_sweep(args) -> int:
    from bioaware.train.sweep import results_table, sweep

    runs = sweep(Path(args.config), args.grid, args.set, args.jobs, args.out_root)
    print(results_table(runs))
    return 0


def cmd_demo(args) -> int:
    from bioaware.config import config_from_dict, tomllib
    from bioaware.train.pipeline import run_training

    text = resources.files("bioaware.configs").joinpath("demo.toml").read_text()
    cfg = config_from_dict(tomllib.loads(text), "bioaware/configs/demo.toml")
    if args.epochs:
        cfg.train.epochs = args.epochs
    run_dir = Path(args.out)
    _print_results(run_training(cfg, run_dir, fresh=True), run_dir)
    return 0


def cmd_evaluate(args) -> int:
    from bioaware.data.datasets import load_images
    from bioaware.train.pipeline import build_tasks, open_run, restore

    run, cfg, config = open_run(Path(args.run))
    data = load_images(cfg.data)
    results = {task.phase: restore(task, run, config).test_metrics(data, cfg.train.batch_size, cfg.run.seed, run)
               for task, _ in build_tasks(cfg)}
    _print_results(results, run.path)
    return 0


def cmd_export(args) -> int:
    from bioaware.interchange.export import export_nir

    print(f"wrote {export_nir(Path(args.run), Path(args.export_root))}")
    return 0


def cmd_simulate(args) -> int:
    from bioaware.brian.evaluate import simulate_test_set

    r = simulate_test_set(Path(args.run), images=args.images, device=args.device, dt_factor=args.dt_factor,
                          order=args.order, copies=args.copies)
    print(f"{r['run']}: {r['images']} test images in Brian2 ({r['device']}, dt {r['dt_ms']:g} ms, {r['order']} order, "
          f"{r['copies']} copies × {r['windows']} windows): MSE {r['mse']:.4f}, Spike-MSE {r['spike_mse']:.3f}, "
          f"{r['images_per_second']:.0f} images/s including build ({r['images_per_simulation_second']:.0f} without)")
    return 0


def cmd_compare(args) -> int:
    from bioaware.train.pipeline import open_run

    kind = open_run(Path(args.run))[1].model.kind
    if kind in ("ttfs_classifier", "spiking_gan"):
        from bioaware.compare.ttfs_report import compare_ttfs

        factors = tuple(float(f) for f in (args.dt_factors or "1,0.1").split(","))
        compare_ttfs(Path(args.run), images=args.images, factors=factors, device=args.device)
    elif kind == "comsa_ae":
        from bioaware.compare.temporal_report import compare_temporal

        steps = tuple(float(f) for f in (args.dt_factors or "0.01,0.001").split(","))
        compare_temporal(Path(args.run), images=args.images, steps=steps, device=args.device)
    else:
        from bioaware.compare.report import compare_run

        factors = tuple(float(f) for f in (args.dt_factors or "1,0.1,0.01").split(","))
        compare_run(Path(args.run), images=args.images, factors=factors, device=args.device)
    print(f"report: {Path(args.run) / 'compare' / 'report.html'}")
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
    from bioaware.interchange.from_nir import graph_to_layers, read_graph

    layers, meta = graph_to_layers(read_graph(args.file), args.file)
    print(f"{args.file}: {len(layers)} spiking layers, dt = {meta['dt'] * 1e3:g} ms, "
          f"model {meta.get('model', '?')}, encoder {meta.get('encoder', '?')}, {meta.get('steps', '?')} steps")
    width = layers[0].weight.shape[1]
    for layer in layers:
        kind = ("LI readout" if layer.readout else "IF" if layer.leak == 0 else "LIF") + \
            (f", τ_syn {layer.tau_syn * 1e3:g} ms" if layer.tau_syn else "") + \
            (f", leak {layer.leak:g}/step" if layer.leak else "")
        print(f"  {layer.name}: {width} → {layer.size}, {kind}, v_th {layer.v_th:g}, "
              f"|w| mean {abs(layer.weight).mean():.4f}")
        width = layer.size
    return 0


def cmd_summary(args) -> int:
    from bioaware.train.summary import collect, summary_table

    rows = collect([Path(r) for r in args.runs])
    print(summary_table(rows))
    if args.figure:
        from bioaware.train.figures import mse_bars

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
    t.add_argument("--fresh", action="store_true", help="discard checkpoints and metrics of an earlier run")
    t.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="override a config key (repeatable), e.g. --set run.seed=1 --set model.leak=0.2")
    t.add_argument("--max-batches", type=int, help="stop after this many batches per model (resume later)")
    t.set_defaults(func=cmd_train)
    w = sub.add_parser("sweep", help="train a config at every point of a grid of overrides, then tabulate",
                       epilog="e.g. bioaware sweep runs/comsa_ae_mnist.toml --grid model.hidden=8,16,32 "
                              "--grid train.noise=0,0.2 --jobs 4")
    w.add_argument("config", help="TOML run config")
    w.add_argument("--grid", action="append", required=True, metavar="SECTION.KEY=V1,V2,…",
                   help="one axis of the grid (repeatable; runs are named <name>_<key><value>…)")
    w.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="override for every run")
    w.add_argument("--jobs", type=int, default=1, help="runs trained at once, one process each (default 1)")
    w.add_argument("--out-root", help="folder of the run directories (default: beside the config)")
    w.set_defaults(func=cmd_sweep)
    e = sub.add_parser("evaluate", help="recompute the test metrics of a trained run")
    e.add_argument("run", help="run directory, e.g. runs/roy_ae_mnist")
    e.set_defaults(func=cmd_evaluate)
    x = sub.add_parser("export", help="write a trained run's spiking model as a NIR graph")
    x.add_argument("run", help="run directory, e.g. runs/roy_ae_mnist")
    x.add_argument("--to", choices=["nir"], default="nir", help="format (default: nir)")
    x.add_argument("--export-root", default="export", help="folder for export/<name>/model.nir (default: export)")
    x.set_defaults(func=cmd_export)
    m = sub.add_parser("simulate", help="run a trained model's test images in Brian2 (exact dynamics)")
    m.add_argument("run", help="run directory, e.g. runs/roy_ae_mnist")
    m.add_argument("--images", type=int, default=1000, help="test images (default 1000)")
    m.add_argument("--device", default="cpp_standalone", help="Brian2 device (default cpp_standalone)")
    m.add_argument("--dt-factor", type=float, default=0.1, help="Brian2 dt as a fraction of the training step")
    m.add_argument("--order", choices=["exact", "matched"], default="exact", help="update order (default exact)")
    m.add_argument("--copies", type=int, default=100, help="parallel network copies per build (default 100)")
    m.set_defaults(func=cmd_simulate)
    c = sub.add_parser("compare", help="trained (discrete-time) model vs exact Brian2 dynamics on the same spikes")
    c.add_argument("run", help="run directory, e.g. runs/roy_ae_mnist")
    c.add_argument("--images", type=int, default=20, help="test images, simulated as parallel copies (default 20)")
    c.add_argument("--dt-factors", help="Brian2 dt as fractions of the training step (default 1,0.1,0.01); "
                   "for temporal-coding models, in time units (default 0.01,0.001)")
    c.add_argument("--device", default="runtime", help="Brian2 device: runtime, cython, cpp_standalone, "
                   "cuda_standalone, genn (default runtime)")
    c.set_defaults(func=cmd_compare)
    a = sub.add_parser("analyse", help="temporal-coding runs: SVM on hidden spike times vs pixels, t-SNE, "
                       "interpolation, spike-time and weight histograms")
    a.add_argument("runs", nargs="+", help="run directories of comsa_ae runs")
    a.add_argument("--train-images", type=int, default=5000, help="SVM training images (default 5000)")
    a.add_argument("--test-images", type=int, default=2000, help="SVM test images (default 2000)")
    a.set_defaults(func=cmd_analyse)
    y = sub.add_parser("deploy", help="run a trained run's NIR graph through a neuromorphic toolchain, vs Brian2")
    y.add_argument("run", help="run directory, e.g. runs/roy_ae_mnist")
    y.add_argument("--target", required=True, choices=["loihi", "spinnaker", "speck"],
                   help="loihi: Lava float + bit-accurate fixed point; spinnaker: sPyNNaker virtual-board mapping + "
                        "PyNN on Brian2; speck: sinabs (+ chip config with samna)")
    y.add_argument("--images", type=int, default=20, help="test images (default 20)")
    y.add_argument("--export-root", default="export", help="where the run's NIR graph is (default export/)")
    y.set_defaults(func=cmd_deploy)
    i = sub.add_parser("inspect", help="check a NIR file and describe its layers")
    i.add_argument("file", help="NIR file, e.g. export/roy_ae_mnist/model.nir")
    i.set_defaults(func=cmd_inspect)
    s = sub.add_parser("summary", help="Markdown table of finished runs beside the paper's figures")
    s.add_argument("runs", nargs="+", help="run directories, e.g. runs/roy_ae_mnist*/")
    s.add_argument("--figure", metavar="PNG", help="also draw the test MSE of every row as bars")
    s.set_defaults(func=cmd_summary)
    d = sub.add_parser("demo", help="train a small autoencoder on the embedded MNIST subset (a few minutes)")
    d.add_argument("--out", default="runs/demo", help="run directory (default: runs/demo)")
    d.add_argument("--epochs", type=int, help="override the demo's 25 epochs")
    d.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
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

if __name__ == "__main__":
    sys.exit(main())
