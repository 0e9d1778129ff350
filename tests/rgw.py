"""A real S3 server for the tests: Ceph's RADOS Gateway (Debian's `radosgw`) on loopback.

Debian 12 ships Ceph 16 (Pacific), whose gateway has no stand-alone backend (dbstore came with Ceph 17),
so it runs on the smallest cluster that works: one monitor, one OSD on `memstore` (objects in memory,
no disk or block device) and the gateway, with authentication off between them, all bound to
127.0.0.1 and kept in one temporary directory. It starts in about three seconds and takes about 140 MB.

`make test` installs the packages (the Makefile's test-packages); `python -m tests.rgw` starts one by
hand and prints its settings.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

BINARIES = ("ceph-authtool", "monmaptool", "ceph-mon", "ceph-osd", "ceph", "radosgw", "radosgw-admin")
ACCESS_KEY = "CITYREPORTTESTKEY"
SECRET_KEY = "cityreport-test-secret-key"
START_TIMEOUT = 90.0


class RadosGatewayError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CONF = """\
[global]
fsid = {fsid}
mon host = v1:127.0.0.1:{mon_port}
mon initial members = a
public addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
osd crush chooseleaf type = 0
# The OSD would place itself in the CRUSH map at boot, racing its first monitor map (a command sent with
# a zero fsid is refused and the OSD exits); the script places it before starting it instead.
osd crush update on start = false
osd class update on start = false
osd objectstore = memstore
# One monitor has nobody to wait for: propose map changes at once (the gateway creates six pools at start).
paxos propose interval = 0.05
paxos min wait = 0.01
osd pool default pg autoscale mode = off
memstore device bytes = 1073741824
run dir = {root}/run
admin socket = {root}/run/$name.asok
log file = {root}/log/$name.log
keyring = {root}/keyring
mon data = {root}/mon/$name
osd data = {root}/osd/$name

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:{rgw_port}
rgw data = {root}/rgw
"""


@dataclass
class RadosGateway:
    root: Path
    mon_port: int = field(default_factory=free_port)
    rgw_port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.rgw_port}"

    @property
    def conf(self) -> str:
        return str(self.root / "ceph.conf")

    def _run(self, *args: str, timeout: float = 60, attempts: int = 1) -> str:
        for attempt in range(attempts):
            try:
                done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                raise RadosGatewayError(f"{' '.join(args)} took more than {timeout} s:\n{self._log_tail()}") from None
            if done.returncode == 0:
                return done.stdout
            if attempt + 1 < attempts:
                time.sleep(0.5)
        raise RadosGatewayError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")

    def _ceph(self, *args: str) -> str:
        # Ceph 16's clients now and then send their first command before they hold the monitor map, with a
        # zero fsid, and the monitor refuses it (EPERM). These commands are idempotent: try again.
        return self._run("ceph", "-c", self.conf, "--connect-timeout", "30", *args, attempts=5)

    def _daemon(self, name: str, *args: str) -> None:
        log = open(self.root / "log" / f"{name}.out", "wb")  # noqa: SIM115 (the daemon keeps it)
        self.processes.append(subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                               start_new_session=True))

    def start(self) -> RadosGateway:
        missing = [name for name in BINARIES if shutil.which(name) is None]
        if missing:
            raise RadosGatewayError(f"missing {', '.join(missing)}: `make test` installs radosgw, ceph-mon and "
                                    "ceph-osd (the Makefile's test-packages)")
        for sub in ("run", "log", "mon", "osd", "rgw"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        fsid = str(uuid.uuid4())
        (self.root / "ceph.conf").write_text(CONF.format(fsid=fsid, root=self.root, mon_port=self.mon_port,
                                                         rgw_port=self.rgw_port))
        keyring = str(self.root / "keyring")
        self._run("ceph-authtool", "--create-keyring", keyring, "--gen-key", "-n", "mon.", "--cap", "mon", "allow *")
        self._run("ceph-authtool", keyring, "--gen-key", "-n", "client.admin", "--cap", "mon", "allow *",
                  "--cap", "osd", "allow *", "--cap", "mgr", "allow *")
        monmap = str(self.root / "monmap")
        self._run("monmaptool", "--create", "--fsid", fsid, "--addv", "a", f"[v1:127.0.0.1:{self.mon_port}]", monmap)
        self._run("ceph-mon", "-c", self.conf, "--mkfs", "-i", "a", "--monmap", monmap, "--keyring", keyring)
        self._daemon("mon.a", "ceph-mon", "-f", "-c", self.conf, "-i", "a")

        osd_uuid = str(uuid.uuid4())
        osd_id = self._ceph("osd", "new", osd_uuid).strip()
        (self.root / "osd" / f"osd.{osd_id}").mkdir(exist_ok=True)
        self._ceph("osd", "crush", "add", f"osd.{osd_id}", "1.0", "root=default")
        self._run("ceph-osd", "-c", self.conf, "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid)
        self._daemon(f"osd.{osd_id}", "ceph-osd", "-f", "-c", self.conf, "-i", osd_id)
        self._daemon("rgw", "radosgw", "-f", "-c", self.conf, "-n", "client.rgw")
        self._wait_for_gateway()
        self._run("radosgw-admin", "-c", self.conf, "user", "create", "--uid", "cityreport",
                  "--display-name", "CityReport tests", "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY)
        return self

    def _wait_for_gateway(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise RadosGatewayError(f"{process.args[0]} exited with {process.returncode}:\n"
                                            + self._log_tail())
            try:
                with urllib.request.urlopen(self.endpoint_url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        raise RadosGatewayError(f"radosgw did not answer on {self.endpoint_url} within {START_TIMEOUT} s")

    def _log_tail(self, lines: int = 15) -> str:
        tails = []
        for path in sorted((self.root / "log").glob("*.out")):
            tails.append(f"== {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:]))
        return "\n".join(tails)

    def stop(self) -> None:
        # Everything lives in memory and one temporary directory: nothing to shut down gracefully.
        for process in self.processes:
            if process.poll() is None:
                process.kill()
        for process in self.processes:
            process.wait(timeout=10)
        self.processes.clear()

    def settings(self) -> dict[str, str]:
        """The app's settings that point S3Storage at this gateway."""
        return {"S3_ENDPOINT_URL": self.endpoint_url, "S3_REGION": "us-east-1",
                "S3_ACCESS_KEY_ID": ACCESS_KEY, "S3_SECRET_ACCESS_KEY": SECRET_KEY}


def start(root: Path | None = None, attempts: int = 3) -> RadosGateway:
    """A running gateway. A daemon that hits the same start-up race as the clients (above) exits; the
    whole cluster is then made again from scratch, up to `attempts` times."""
    for attempt in range(attempts):
        gateway = RadosGateway(Path(root or tempfile.mkdtemp(prefix="cityreport-rgw-")))
        try:
            return gateway.start()
        except BaseException:
            gateway.stop()  # the error carries the logs' last lines
            shutil.rmtree(gateway.root, ignore_errors=True)
            if attempt + 1 == attempts:
                raise
    raise AssertionError("unreachable")


if __name__ == "__main__":
    gateway = start()
    for name, value in gateway.settings().items():
        print(f"{name}={value}")
    print(f"# data and logs in {gateway.root}; Ctrl-C stops it")
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        gateway.stop()
        shutil.rmtree(gateway.root, ignore_errors=True)
