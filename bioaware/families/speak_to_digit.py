"""`bioaware speak2digit`: one wav file through a trained audiocoder run to the digit image it draws."""

from __future__ import annotations

from pathlib import Path

from bioaware.core.errors import BioawareError


def speak_to_digit(run_dir: Path, wav: Path, out: Path, seed: int = 0) -> dict:
    """A wav file through a trained audiocoder run: writes the digit image to `out` (PNG) and a panel beside it
    (`<out>_panel.png`: spectrogram, hidden code, image); returns what the run's judging classifier reads in it."""
    import numpy as np
    import torch

    from bioaware.core.figures import digit_png, speech_to_image_columns
    from bioaware.data.audio_pairs import filterbank
    from bioaware.data.spoken_digits import read_wav
    from bioaware.evaluation.digit_classifier import saved_digit_classifier
    from bioaware.families.runs import build_tasks, open_run, restore

    run, cfg, config = open_run(Path(run_dir))
    if cfg.model.kind != "audiocoder":
        raise BioawareError(f"{run_dir}: model.kind = {cfg.model.kind!r}; speak2digit needs an audiocoder run")
    if not Path(wav).is_file():
        raise BioawareError(f"{wav}: no such file; give a wav file of a spoken digit")
    task = restore(next(t for t, _ in build_tasks(cfg) if t.spiking), run, config)
    bank = filterbank(cfg.audio)
    spectrogram = bank.spectrogram(read_wav(Path(wav)))
    task.model.eval()
    with torch.no_grad():
        features = torch.from_numpy(spectrogram.reshape(1, -1))
        code, pixels = task.synthesise(features, torch.Generator().manual_seed(seed))
    reading = {}
    classifier = saved_digit_classifier(run.path)  # the classifier that judged the run's test clips
    if classifier is not None:
        with torch.no_grad():
            p = classifier(pixels).softmax(1)[0]
        reading = {"digit": int(p.argmax()), "probability": float(p.max())}
    digit_png(pixels[0].numpy(), Path(out))
    label = f"read as {reading['digit']} (p = {reading['probability']:.2f})" if reading else Path(wav).name
    speech_to_image_columns([{"label": label, "spectrogram": spectrogram, "code": code[:, 0].numpy(),
                              "image": pixels[0].numpy()}], Path(out).with_name(Path(out).stem + "_panel.png"),
                            f"{Path(wav).name} → {run.path.name}")
    return reading | {"spikes_in_code": int(np.asarray(code).sum())}
