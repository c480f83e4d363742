"""Hostile input: every bad file, value, path or signal ends in a clear message, never a traceback.

Most cases run the CLI in-process (typer's CliRunner) for speed; FIFOs and signals need a real
process. Each case asserts the exit status, the message, and that nothing was written elsewhere.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from simulation.cli import app
from simulation.errors import ScenarioError
from simulation.paths import folder_slug
from simulation.runner import default_out_dir
from simulation.scenario import build_scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))
TINY = ["--days", "3", "--set", "population.individuals=300", "--set", "population.firms=20",
        "--set", "population.distinct_names=1000"]


def invoke(*args: str):
    result = CliRunner().invoke(app, list(args), catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback for {args}: {result.exception!r}") from result.exception
    return result.exit_code, result.output


def files_under(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*")}


# ----------------------------------------------------------------------------- names are labels


@pytest.mark.parametrize("name", ["../../escaped", "/srv/x/escaped", "a\x00b", "n" * 256,
                                  "航空 规划", "..", "", "-rf"])
def test_a_name_is_a_label_never_a_path(tmp_path, name):
    spec = build_scenario({"name": name, "population": {"individuals": 10}})
    out = default_out_dir(spec, root=tmp_path / "results")
    assert out.parent.parent == tmp_path / "results"
    slug = out.parent.name
    assert slug == folder_slug(name) and "/" not in slug and "\x00" not in slug
    assert slug not in ("", ".", "..") and len(slug.encode()) <= 100


def test_a_hostile_name_runs_inside_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scen = tmp_path / "s.toml"
    scen.write_text('name = "../../outside"\n')
    code, output = invoke("run", str(scen), *TINY, "--quiet")
    assert code == 0, output
    new = files_under(tmp_path) - {Path("s.toml")}
    assert all(p.parts[0] == "results" for p in new), new
    assert not (tmp_path.parent / "outside").exists()


# ----------------------------------------------------------------------------- strict types


@pytest.mark.parametrize(("setting", "reason"), [
    ("population.individuals='5'", "must be a whole number, not a string"),
    ("courts.clerical_error_rate='0.1'", "must be a number, not a string"),
    ("population.individuals=true", "must be a whole number, not a boolean"),
    ("appeals.enabled='yes'", "must be true or false, not a string"),
    ("appeals.enabled=yes", "must be true or false, not a string"),
    ("appeals.enabled=1", "must be true or false, not a int"),
])
def test_no_type_coercion(setting, reason):
    code, output = invoke("run", "classroom", "--set", setting)
    assert code == 2 and reason in output, output
    assert "Traceback" not in output


def test_an_integer_is_still_a_valid_float_and_minus_zero_is_zero():
    spec = build_scenario({"courts": {"judgment_rate_per_year": 0}, "population":
                           {"legitimacy_sd": -0.0, "individuals": 10}})
    assert spec.courts.judgment_rate_per_year == 0.0
    assert str(spec.population.legitimacy_sd) == "0.0"


# ----------------------------------------------------------------------------- input files


def test_empty_file_is_an_error(tmp_path):
    (tmp_path / "empty.toml").write_text("# only a comment\n")
    code, output = invoke("validate", str(tmp_path / "empty.toml"))
    assert code == 2 and "the file is empty" in output


@pytest.mark.parametrize(("path", "reason"), [("/dev/zero", "is a device"), ("/dev/null", "is a device")])
def test_devices_are_refused(path, reason):
    code, output = invoke("validate", path)
    assert code == 2 and reason in output, output


def test_folder_and_oversize_files_are_refused(tmp_path):
    code, output = invoke("validate", str(tmp_path))
    assert code == 2 and "is a folder" in output
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * (9 * 1024 * 1024) + "\n")
    code, output = invoke("validate", str(big))
    assert code == 2 and "may be at most" in output


def test_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "simulation", "validate", str(fifo)],
                       capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert p.returncode == 2 and "FIFO" in p.stderr and time.monotonic() - t0 < 60
    assert "Traceback" not in p.stderr


def test_utf8_bom_and_non_utf8(tmp_path):
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbfname = 'bom'\n")
    assert load_scenario(bom).name == "bom"
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"name = '\xe9'\n")
    code, output = invoke("validate", str(latin))
    assert code == 2 and "not a UTF-8 text file" in output


def test_set_value_with_a_newline_is_an_error():
    code, output = invoke("run", "classroom", "--set", "registry.sharing=0.5\nregistry.delay_days=1")
    assert code == 2 and "line break" in output


# ----------------------------------------------------------------------------- ranges that run


def test_propensity_shape_too_small_to_run_is_refused():
    code, output = invoke("validate", "classroom")
    assert code == 0
    code, output = invoke("run", "classroom", "--set", "population.service_propensity_shape=1e-9")
    assert code == 2 and "service_propensity_shape" in output


def test_edges_of_ranges_run(tmp_path):
    out = tmp_path / "edge"
    code, output = invoke("run", "classroom", *TINY, "--set", "population.legitimacy_sd=-0.0",
                          "--set", "population.service_propensity_shape=0.01", "--out", str(out),
                          "--quiet")
    assert code == 0, output
    assert (out / "summary.json").is_file()


# ----------------------------------------------------------------------------- output folders


def test_out_under_a_file_is_refused_before_running(tmp_path):
    (tmp_path / "afile").write_text("x")
    t0 = time.monotonic()
    code, output = invoke("run", "baseline", "--out", str(tmp_path / "afile" / "out"))
    assert code == 2 and "is a file, not a folder" in output
    assert time.monotonic() - t0 < 10  # refused before the 100,000-person run


def test_out_name_too_long_and_read_only(tmp_path):
    code, output = invoke("run", "baseline", "--out", str(tmp_path / ("n" * 300)))
    assert code == 2 and "the limit is 255" in output
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        code, output = invoke("run", "baseline", "--out", str(ro / "out"))
        assert code == 2 and "cannot write" in output
    finally:
        ro.chmod(0o700)


def test_write_failure_is_exit_1_and_leaves_nothing(tmp_path, monkeypatch):
    import pandas as pd

    def full_disk(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full_disk)
    code, output = invoke("run", "classroom", *TINY, "--out", str(tmp_path / "out"))
    assert code == 1 and "No space left on device" in output and "nothing was written" in output
    assert list(tmp_path.iterdir()) == []


TINY_SWEEP = """name = "tiny"
base = "classroom"
design = "grid"
replicates = 1
seed = 1
[fixed]
days = 3
"population.individuals" = 300
"population.firms" = 20
"population.distinct_names" = 1000
[parameters]
"registry.sharing" = [0.2, 0.5, 0.9]
"""


def test_a_full_disk_mid_sweep_is_exit_1_and_resumable(tmp_path, monkeypatch):
    import json

    from simulation.experiments.store import RunStore

    (tmp_path / "tiny.toml").write_text(TINY_SWEEP)
    append, calls = RunStore.append, []

    def fills_up(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the disk fills up after the first run is saved
            raise OSError(28, "No space left on device", str(self.folder / "runs"))
        return append(self, *args, **kwargs)

    monkeypatch.setattr(RunStore, "append", fills_up)
    out = tmp_path / "out"
    sweep = ("sweep", str(tmp_path / "tiny.toml"), "--out", str(out), "--workers", "0",
             "--no-progress")
    code, output = invoke(*sweep)
    assert code == 1 and "No space left on device" in output and "--resume" in output, output
    assert json.loads((out / "manifest.json").read_text())["status"] == "failed"  # not "running"
    monkeypatch.setattr(RunStore, "append", append)
    code, output = invoke(*sweep, "--resume")
    assert code == 0, output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["counts"]["resumed"] == 1


def test_the_documented_exit_statuses_are_the_ones_used():
    import re

    from simulation.errors import OutputError

    table = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", (ROOT / "README.md").read_text(), re.M))
    assert set(table) == {"0", "1", "2", "130", "143"}
    assert "bad input" in table[str(ScenarioError.exit_status)]
    assert "I/O fault" in table[str(OutputError.exit_status)]
    assert "SIGINT" in table[str(128 + signal.SIGINT)]
    assert "SIGTERM" in table[str(128 + signal.SIGTERM)]


def test_an_output_error_outside_a_command_is_still_exit_1(monkeypatch, capsys):
    import simulation.cli as cli
    from simulation.errors import OutputError

    def broken_app():
        raise OutputError("writing failed", file="x")

    monkeypatch.setattr(cli, "app", broken_app)
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 1 and "x: writing failed" in capsys.readouterr().err


# ----------------------------------------------------------------------------- cross references


def test_cross_reference_error_names_field_and_value_only():
    code, output = invoke("run", "local-pilots", "--set", "agencies.rail.jurisdiction=j9")
    assert code == 2
    assert "agencies.rail.jurisdiction" in output and "'j9'" in output
    assert len(output) < 400 and "got {" not in output, output


# ----------------------------------------------------------------------------- new agencies


def test_a_typo_of_a_roster_agency_is_refused_with_did_you_mean(tmp_path):
    scen = tmp_path / "typo.toml"
    scen.write_text('name = "typo"\n[agencies.airlin]\nevasion_probability = 0.5\n')
    code, output = invoke("validate", str(scen))
    assert code == 2, output
    assert f"{scen}: agencies.airlin: unknown agency 'airlin'; did you mean 'airline'?" in output
    assert "new = true" in output and "Traceback" not in output
    code, output = invoke("run", "classroom", "--set", "agencies.bnak.service_rate_per_year=2")
    assert code == 2 and "override agencies.bnak.service_rate_per_year" in output
    assert "did you mean 'bank'?" in output


def test_a_new_agency_says_so_and_a_roster_agency_may_not():
    spec = build_scenario({"agencies": {"airlin": {"new": True, "kind": "transport"}}})
    assert spec.agencies["airlin"].new and spec.agencies["airlin"].kind == "transport"
    assert not spec.agencies["airline"].new
    with pytest.raises(ScenarioError, match="agencies.airline.new: 'airline' is an agency of the "
                       "default roster"):
        build_scenario({"agencies": {"airline": {"new": True}}})
    with pytest.raises(ScenarioError, match="agencies.x.new: must be true or false"):
        build_scenario({"agencies": {"x": {"new": "yes"}}})


# ----------------------------------------------------------------------------- signals


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_a_run_leaves_nothing(tmp_path, sig):
    out = tmp_path / "out"
    p = subprocess.Popen([sys.executable, "-m", "simulation", "run", "baseline", "--out", str(out)],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Wait until the run has started (the model is being built or stepped), then signal it.
    assert p.stderr.readline().startswith("running "), "the run did not start"
    time.sleep(1)
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    if p.returncode == 0:  # finished before the signal: complete
        assert (out / "manifest.json").is_file()
    else:
        assert p.returncode == 128 + sig, err
        assert list(tmp_path.iterdir()) == []
    assert "Traceback" not in err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_while_importing_exits_cleanly(sig):
    """A signal before the command line has finished importing: status 128 + signum, no traceback."""
    p = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "simulation", "--help"],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # -X importtime prints a stderr line as each import finishes: typer is imported by the CLI,
    # after the entry point has started, and long before the CLI has finished importing.
    for line in p.stderr:
        if "typer" in line:
            break
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode in (0, 128 + sig), (p.returncode, err[-2000:])
    assert "Traceback" not in err


# ----------------------------------------------------------------------------- damaged folders


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    code, output = invoke("run", "classroom", *TINY, "--out", str(out), "--quiet")
    assert code == 0, output
    return out


def _truncate(f: Path) -> None:
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])


def _foreign_table(f: Path) -> None:
    import pandas as pd

    pd.DataFrame({"x": [1, 2]}).to_parquet(f)


def _folder(f: Path) -> None:
    f.unlink()
    f.mkdir()


DAMAGE = {
    "truncated events": ("events.parquet", _truncate),
    "empty events": ("events.parquet", lambda f: f.write_bytes(b"")),
    "foreign events": ("events.parquet", _foreign_table),
    "truncated timeseries": ("timeseries.parquet", _truncate),
    "empty timeseries": ("timeseries.parquet", lambda f: f.write_bytes(b"")),
    "foreign timeseries": ("timeseries.parquet", _foreign_table),
    "summary is a folder": ("summary.json", _folder),
    "summary deeply nested": ("summary.json", lambda f: f.write_text('{"a": ' * 5000 + "1"
                                                                      + "}" * 5000)),
    "summary not JSON": ("summary.json", lambda f: f.write_text("{garbage")),
    "scenario not UTF-8": ("scenario.toml", lambda f: f.write_bytes(b"name = '\xff\xfe'\n")),
    "manifest garbage": ("manifest.json", lambda f: f.write_bytes(b"\x00\x01garbage")),
}
READERS = {"report": ["report"], "plot": ["plot"], "trace": ["trace", "--worst", "1"]}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_every_reader_names_the_damaged_file(run_folder, tmp_path, reader, damage):
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(run_folder, folder)
    name, spoil = DAMAGE[damage]
    spoil(folder / name)
    before = files_under(tmp_path)
    code, output = invoke(*READERS[reader], str(folder))
    assert code == 2, output
    assert str(folder / name) in output and "Traceback" not in output, output
    assert files_under(tmp_path) == before  # nothing half-written


@pytest.mark.parametrize("dpi", ["-5", "0", "100000"])
def test_plot_dpi_is_bounded(run_folder, tmp_path, dpi):
    code, output = invoke("plot", str(run_folder), "--out", str(tmp_path / "f"), "--dpi", dpi)
    assert code == 2 and "--dpi" in output and not (tmp_path / "f").exists(), output


def _fake_sweep(folder: Path, manifest: str) -> Path:
    folder.mkdir()
    (folder / "manifest.json").write_text(manifest)
    return folder


@pytest.mark.parametrize(("manifest", "words"), [
    ("{garbage", "damaged manifest (not valid JSON)"),
    ("[1]", "damaged manifest (not a JSON object)"),
    ('{"a": ' * 5000 + "1" + "}" * 5000, "damaged manifest"),
    ('{"kind": "sweep"}', "'fingerprint' is missing"),
])
def test_sensitivity_names_a_damaged_manifest(tmp_path, manifest, words):
    folder = _fake_sweep(tmp_path / "sweep", manifest)
    code, output = invoke("sensitivity", str(folder))
    assert code == 2 and words in output and str(folder / "manifest.json") in output, output


def test_sensitivity_names_a_damaged_design(tmp_path):
    import json

    manifest = {"kind": "sweep", "fingerprint": "x", "design": {"kind": "sobol"},
                "problem": {"names": ["registry.sharing"]}, "points": 4, "replicates": 1,
                "seed": 0}
    folder = _fake_sweep(tmp_path / "sweep", json.dumps(manifest))
    (folder / "design.parquet").write_bytes(b"PAR1 not really")
    code, output = invoke("sensitivity", str(folder))
    assert code == 2 and str(folder / "design.parquet") in output, output


def test_a_folder_as_a_plot_table_is_named(tmp_path):
    folder = tmp_path / "cmp"
    (folder / "compare.parquet").mkdir(parents=True)
    code, output = invoke("plot", str(folder))
    assert code == 2 and "is a folder, not a compare table" in output, output


# ----------------------------------------------------------------------------- fuzzer

VALUES = st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=True), st.booleans(),
                   st.text(max_size=30), st.lists(st.integers(), max_size=3), st.none())


def _mutate(data: dict, draw) -> dict:
    sections = [k for k, v in data.items() if isinstance(v, dict)] or [None]
    section = draw(st.sampled_from(sections))
    table = data if section is None else data[section]
    keys = list(table) or ["x"]
    key = draw(st.one_of(st.sampled_from(keys), st.text(min_size=1, max_size=12)))
    value = draw(VALUES)
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value
    return data


# The fuzzer's size, and a file to tally outcomes in, for a longer run outside make test:
# FUZZ_EXAMPLES=2000 FUZZ_LOG=/tmp/fuzz.log pytest tests/test_bad_input.py -k fuzzed
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ_LOG = os.environ.get("FUZZ_LOG")
MAX_EXTRA_BYTES = 2 * 1024**3  # address space one tiny run may add (it needs ~100 MB)


def _tally(command: str, code: int) -> None:
    if FUZZ_LOG:
        with open(FUZZ_LOG, "a", encoding="utf-8") as log:
            log.write(f"{command} {code}\n")


@contextmanager
def memory_bound(extra: int = MAX_EXTRA_BYTES):
    """Cap this process's address space at its current size plus ``extra`` bytes meanwhile: an
    allocation beyond it is a MemoryError (a traceback, so the fuzzer fails), not a swapped
    machine. A resource limit costs nothing per allocation, unlike tracemalloc (10x slower)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm", encoding="ascii") as statm:
        now = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = now + extra if hard == resource.RLIM_INFINITY else min(now + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def invoke_bounded(*args: str) -> tuple[int, str]:
    """invoke(), with the process's memory bounded (:func:`memory_bound`)."""
    with memory_bound():
        return invoke(*args)


def test_the_memory_bound_refuses_a_large_allocation():
    import numpy as np

    before = resource.getrlimit(resource.RLIMIT_AS)
    with memory_bound(256 * 1024**2), pytest.raises(MemoryError):
        np.empty(1024**3 // 8)  # 1 GB against a 256 MB bound: refused at once, nothing touched
    np.empty(1024**3 // 8)  # and allowed again once the bound is lifted
    assert resource.getrlimit(resource.RLIMIT_AS) == before  # lifted afterwards


@settings(max_examples=FUZZ_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(SHIPPED), st.data())
def test_fuzzed_shipped_scenarios_exit_0_or_2(tmp_path_factory, path, data):
    import tomllib

    import tomli_w

    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    for _ in range(data.draw(st.integers(1, 3))):
        raw = _mutate(raw, data.draw)
    folder = tmp_path_factory.mktemp("fuzz")
    scen = folder / "mutant.toml"
    try:
        scen.write_text(tomli_w.dumps(raw), encoding="utf-8")
    except (TypeError, ValueError):
        return  # a value TOML cannot hold (NaN is fine; None is not)
    code, output = invoke_bounded("validate", str(scen))
    _tally("validate", code)
    assert code in (0, 2), output
    out = folder / "out"
    t0 = time.monotonic()
    code, output = invoke_bounded("run", str(scen), *TINY, "--out", str(out), "--quiet")
    _tally("run", code)
    assert code in (0, 2), output
    assert time.monotonic() - t0 < 30
    assert files_under(folder) - {Path("mutant.toml")} <= {Path("out")} | {
        Path("out") / p for p in (files_under(out) if out.exists() else set())}
