import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import harness  # noqa: E402


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture(scope="session")
def pb():
    """(types_pb2, remote_pb2) compiled from proto/ at test time."""
    d = tempfile.mkdtemp(prefix="seismo-it-pb-")
    try:
        yield harness.pb_modules(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def seismo_bin():
    b = harness.seismo_binary()
    if not os.path.exists(b):
        pytest.fail(f"seismo binary not found at {b}: run `swift build` first (or set SEISMO_BIN)")
    return b


@pytest.fixture
def stack(request):
    st = harness.Stack(request.node.name.replace("/", "_")[:40])
    try:
        yield st
    finally:
        st.teardown()
        failed = getattr(request.node, "rep_call", None)
        if (failed is not None and failed.failed) or os.environ.get("SEISMO_KEEP"):
            print(f"\n[kept test dir for inspection: {st.root}]")
        else:
            shutil.rmtree(st.root, ignore_errors=True)
