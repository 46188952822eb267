"""The Dagster UI over a real (small) materialization, driven in headless Chromium.

One module-scoped setup: a small crawl dump is built in a temp $CODELAKE_HOME, `raw_files[dump-ui]` and
`exact_dedup` are materialized into a temp lake with a persistent temp Dagster instance ($DAGSTER_HOME),
and `dagster-webserver` serves that instance on a free local port. The tests then open the lineage graph,
the asset page of `exact_dedup` (latest materialization's metadata) and its checks tab.

Needs /usr/bin/chromium and /usr/bin/chromedriver: `make browser-deps` installs them (Debian packages).
"""

from __future__ import annotations

import os
import signal
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dumpfactory import small_repos, write_dir_dump

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PARTITION = "dump-ui"
SERVER_TIMEOUT_S = 90
PAGE_TIMEOUT_S = 60

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
CHROMEDRIVER_CANDIDATES = ("/usr/bin/chromedriver", "chromedriver")
CHROME_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--window-size=1600,1200",
)

# Runs in a subprocess with the temp DAGSTER_HOME/CODELAKE_HOME, so DagsterInstance.get() and the
# default LakeResource/LandingZoneResource all point at the temp dirs (never at the test session's).
MATERIALIZE = textwrap.dedent(
    f"""
    from dagster import DagsterInstance, materialize
    from assets.code import exact_dedup, raw_files
    from resources import LakeDuckDBResource, LakeResource, LandingZoneResource, StageRunner

    resources = {{"lake": LakeResource(), "landing_zone": LandingZoneResource(), "duckdb": LakeDuckDBResource(), "stage_runner": StageRunner()}}
    quiet = {{"loggers": {{"console": {{"config": {{"log_level": "WARNING"}}}}}}}}
    with DagsterInstance.get() as instance:
        instance.add_dynamic_partitions("code_dumps", [{PARTITION!r}])
        result = materialize([raw_files], partition_key={PARTITION!r}, instance=instance, resources=resources, run_config=quiet)
        assert result.success, "raw_files failed"
        result = materialize([raw_files, exact_dedup], selection=[exact_dedup], instance=instance, resources=resources, run_config=quiet)
        assert result.success, "exact_dedup failed"
        print("materialized", resources["lake"].root)
    """
)


def _find_binary(candidates: tuple[str, ...]) -> str | None:
    for name in candidates:
        found = shutil.which(name) if not os.path.isabs(name) else (name if os.access(name, os.X_OK) else None)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, chars: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "<no log>"


def _stop_group(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM the server's whole process group (webserver + code server), then SIGKILL what is left."""
    if proc.poll() is None or _group_alive(proc.pid):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and (proc.poll() is None or _group_alive(proc.pid)):
                time.sleep(0.2)
            if proc.poll() is not None and not _group_alive(proc.pid):
                break
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory):
    """A materialized temp lake + Dagster instance, served by dagster-webserver; yields its base URL."""
    base = tmp_path_factory.mktemp("dagster-ui")
    dagster_home = base / "dagster"
    codelake_home = base / "codelake"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    write_dir_dump(codelake_home / "landing" / "code" / PARTITION, small_repos())

    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "CODELAKE_HOME": str(codelake_home),
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
    }
    port = _free_port()
    server_log = base / "webserver.log"
    materialize_log = base / "materialize.log"

    # Materialize first, then serve: two processes creating the same fresh instance storage at once
    # race on its schema migrations ("alembic_version has more than one head").
    with open(materialize_log, "wb") as log:
        done = subprocess.run(
            [sys.executable, "-c", MATERIALIZE], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=180
        )
    assert done.returncode == 0, f"materializing raw_files/exact_dedup failed (rc {done.returncode}):\n{_tail(materialize_log)}"
    with open(server_log, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "dagster_webserver", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_TIMEOUT_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"dagster-webserver exited with rc {server.returncode}:\n{_tail(server_log)}")
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"dagster-webserver did not answer {url}/server_info within {SERVER_TIMEOUT_S}s:\n{_tail(server_log)}")
            time.sleep(0.5)
        # The server answers even when the code location failed to import: say so instead of timing out later.
        if "Error loading repository location" in server_log.read_text(errors="replace"):
            pytest.fail(f"the code location did not load in dagster-webserver:\n{_tail(server_log)}")
        yield url
    finally:
        _stop_group(server)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = _find_binary(CHROMIUM_CANDIDATES)
    chromedriver = _find_binary(CHROMEDRIVER_CANDIDATES)
    if not chromium or not chromedriver:
        missing = " and ".join(name for name, path in (("chromium", chromium), ("chromedriver", chromedriver)) if not path)
        pytest.fail(f"{missing} not found (looked for /usr/bin/chromium and /usr/bin/chromedriver): run `make browser-deps` first")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    try:
        driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    except WebDriverException as error:
        pytest.fail(f"could not start headless Chromium ({chromium}) with {chromedriver}: {error.msg}\n(run `make browser-deps`)")
    driver.set_page_load_timeout(PAGE_TIMEOUT_S)
    try:
        yield driver
    finally:
        driver.quit()


def _screenshot(driver, tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.png"
    # Dagster's first-visit "Join the Dagster community" dialog would cover the page: dismiss it if shown.
    for button in driver.find_elements(By.XPATH, "//button[normalize-space()='Skip']"):
        try:
            button.click()
        except WebDriverException:
            pass
    try:
        driver.save_screenshot(str(path))
    except WebDriverException as error:
        return f"<screenshot failed: {error.msg}>"
    return str(path)


def _visible_text(driver) -> str:
    return driver.execute_script("return document.body ? document.body.innerText : ''") or ""


def _open_and_wait(driver, tmp_path: Path, url: str, name: str, texts: list[str] = (), xpaths: list[str] = ()) -> None:
    """Open url; wait until every text is visible on the page and every XPath matches; fail with a screenshot."""
    driver.get(url)

    def missing(_driver) -> list[str]:
        body = _visible_text(driver)
        gone = [f"text {t!r}" for t in texts if t not in body]
        gone += [f"xpath {x}" for x in xpaths if not driver.find_elements(By.XPATH, x)]
        return gone

    try:
        WebDriverWait(driver, PAGE_TIMEOUT_S, poll_frequency=0.25).until(lambda d: not missing(d))
    except TimeoutException:
        still = missing(driver)
        shot = _screenshot(driver, tmp_path, name)
        pytest.fail(
            f"{url} (now at {driver.current_url}) still lacks after {PAGE_TIMEOUT_S}s: {still}\n"
            f"screenshot: {shot}\npage text:\n{_visible_text(driver)[:3000]}"
        )


def _metadata_row(key: str, value: str) -> str:
    """XPath of a metadata table row whose key cell is `key` and whose value cell is exactly `value`."""
    return f"//tr[td[normalize-space()='{key}'] and td[normalize-space()='{value}']]"


def _metadata_cell(key: str, *cells: str) -> str:
    """XPath of a Markdown-table metadata value (row `key`) holding a table row with exactly these cells."""
    inner = " and ".join(f"td[normalize-space()='{cell}']" for cell in cells)
    return f"//tr[td[normalize-space()='{key}']]//tr[{inner}]"


def test_lineage_graph_shows_every_group_and_each_group_every_asset(dagster_ui, browser, tmp_path):
    # The global lineage draws one node per group (code, web, annealing, sft, training); each group's own
    # lineage page draws its assets. Names only: status and checks are asserted on the asset pages below.
    from definitions import defs

    graph = defs.resolve_asset_graph()
    groups: dict[str, list[str]] = {}
    for key in graph.get_all_asset_keys():
        groups.setdefault(graph.get(key).group_name, []).append(key.to_user_string())
    assert {"code", "web", "annealing", "sft", "training"} <= set(groups)
    _open_and_wait(browser, tmp_path, f"{dagster_ui}/asset-groups", "lineage-groups", texts=["Global asset lineage", *groups])
    for group, names in sorted(groups.items()):
        _open_and_wait(
            browser,
            tmp_path,
            f"{dagster_ui}/locations/definitions/asset-groups/{group}",
            f"lineage-{group}",
            xpaths=[_graph_node(name) for name in sorted(names)],
        )


def _graph_node(name: str) -> str:
    """A graph node for `name`, also when the UI shortens a long name in the middle (`pretra…_checkpoint`)."""
    head, tail = name[:6], name[-8:]
    return f"//*[local-name()='foreignObject'][.//*[starts-with(normalize-space(text()), '{head}') and contains(text(), '{tail}')]]"


def test_exact_dedup_page_shows_latest_materialization_metadata(dagster_ui, browser, tmp_path):
    # small_repos(): 5 files, one shared util.py -> 4 kept, 1 dropped as exact_duplicate
    _open_and_wait(
        browser,
        tmp_path,
        f"{dagster_ui}/assets/exact_dedup",
        "exact-dedup-asset",
        texts=["Latest materialization", "Metadata", "rows_kept", "drops_by_reason", "exact_duplicate", "rows_by_language"],
        xpaths=[
            _metadata_row("rows_in", "5"),
            _metadata_row("rows_kept", "4"),
            _metadata_row("rows_dropped", "1"),
            _metadata_cell("drops_by_reason", "exact_duplicate", "1"),
            _metadata_cell("rows_by_language", "Python", "2"),
        ],
    )


def test_exact_dedup_checks_passed(dagster_ui, browser, tmp_path):
    _open_and_wait(
        browser,
        tmp_path,
        f"{dagster_ui}/assets/exact_dedup?view=checks",
        "exact-dedup-checks",
        texts=["rows_conserved", "unique_doc_ids", "Succeeded", "Passed"],
    )


def test_raw_files_page_shows_the_dump_partition(dagster_ui, browser, tmp_path):
    _open_and_wait(
        browser,
        tmp_path,
        f"{dagster_ui}/assets/raw_files",
        "raw-files-asset",
        texts=["Latest materialization", PARTITION],
        xpaths=[
            f"//tr[td[normalize-space()='dump'] and td[contains(normalize-space(), 'landing/code/{PARTITION}')]]",
            _metadata_row("rows_kept", "5"),
            _metadata_cell("rows_by_language", "Python", "3"),
        ],
    )
