# SPDX-License-Identifier: MIT
"""Fixtures of the Python module's suite: a real shmbrokerd, and code run as other users.

The suite runs as root (tests/python/run-pytest.sh skips it otherwise): it starts the daemon
($SHMBROKERD, the build tree's, set by "make check") on a private socket, policy and object
directory, and runs each check in a forked child that has switched to a test uid before it
first connects, since the broker knows a client by the credentials of its connection.
"""
import os
import pickle
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

# Test identities, as the C harness's (tests/helpers/harness.h): ids unlikely to exist.
UID_A, UID_B, UID_C = 41001, 41002, 41003
GID_A, GID_B = 42001, 42002
TIMEOUT = 10

POLICY = """
[Segment py-shared]
Names=py-shared-*
Create=41001
ReadWrite=41001 41002
ReadOnly=41003
Mode=0600
MaxSize=1M

[Segment py-memfd]
Names=py-memfd-*
Create=41001
ReadWrite=41001
ReadOnly=41002
MaxSize=1M
Backend=memfd

[Segment py-app]
Names=%U-%a-*
Create=app:org.example.*
ReadWrite=app:org.example.*
Owner=%U
Mode=0600
MaxSize=64K

[Segment py-private]
Names=%U-*
Create=*
ReadWrite=*
Owner=%U
Mode=0600
MaxSize=64K
"""


class Broker:
    def __init__(self, run_dir, shm_dir, proc):
        self.run_dir = run_dir
        self.shm_dir = shm_dir
        self.socket = os.path.join(run_dir, "socket")
        self.log = os.path.join(run_dir, "daemon.log")
        self.proc = proc

    def log_text(self):
        with open(self.log, errors="replace") as f:   # noqa: the builtin, not shmbroker's
            return f.read()


def _accepts(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


@pytest.fixture(scope="session")
def broker():
    daemon = os.environ.get("SHMBROKERD")
    if not daemon:
        pytest.fail("$SHMBROKERD is not set: run this suite with 'make check'")
    run_dir = tempfile.mkdtemp(prefix="shmb-py.", dir="/tmp")
    shm_dir = tempfile.mkdtemp(prefix="shmb-py.", dir="/dev/shm")
    os.chmod(run_dir, 0o755)
    os.chmod(shm_dir, 0o755)
    policy = os.path.join(run_dir, "policy.conf")
    with open(policy, "w") as f:
        f.write(POLICY)
    env = {k: v for k, v in os.environ.items()
           if k not in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET",
                        "JOURNAL_STREAM", "LD_PRELOAD")}
    # App sockets are for uids with user names, and the test uids have none (nor may they get
    # one on the host): the daemon alone knows UID_A by a name, through the name service shim
    # (tests/helpers/slownss.c). A sanitizer build wants its runtime first.
    shim = os.environ.get("SHMB_SLOWNSS")
    if not shim or not os.access(shim, os.R_OK):
        pytest.fail("$SHMB_SLOWNSS is not the name service shim: run this suite with 'make check'")
    asan = os.environ.get("SHMB_ASAN_RUNTIME", "")
    env["LD_PRELOAD"] = (asan + " " if asan else "") + shim
    env.update(SHMB_FAKENSS_UID=str(UID_A), SHMB_FAKENSS_GID=str(GID_A),
               SHMB_FAKENSS_NAME="shmbfake%d" % UID_A)
    with open(os.path.join(run_dir, "daemon.log"), "w") as log:
        proc = subprocess.Popen([daemon, "--socket", os.path.join(run_dir, "socket"),
                                 "--policy", policy, "--shm-dir", shm_dir,
                                 "--state-dir", shm_dir + ".state"],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
    b = Broker(run_dir, shm_dir, proc)
    deadline = time.monotonic() + TIMEOUT
    while not _accepts(b.socket):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("shmbrokerd did not start:\n" + b.log_text())
        time.sleep(0.01)
    os.environ["SHMBROKER_SOCKET"] = b.socket
    yield b
    proc.send_signal(signal.SIGTERM)
    try:
        status = proc.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = "killed"
    log = b.log_text()
    shutil.rmtree(run_dir, ignore_errors=True)
    shutil.rmtree(shm_dir, ignore_errors=True)
    shutil.rmtree(shm_dir + ".state", ignore_errors=True)
    assert status == 0, "shmbrokerd did not exit cleanly on SIGTERM (%s):\n%s" % (status, log)


def run_as(uid, fn, *args, gid=None, groups=()):
    """Run fn(*args) in a forked child as @uid; return its result or raise its exception.

    The child switches identity before it does anything else, so every connection it makes
    is @uid's. The result (or the exception, errno and all) comes back pickled.
    """
    gid = uid + 1000 if gid is None else gid
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(r)
            signal.alarm(TIMEOUT)
            os.setgroups(list(groups))
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            try:
                out = (True, fn(*args))
            except BaseException as e:    # noqa: everything goes back to the parent
                out = (False, e)
            try:
                data = pickle.dumps(out)
            except Exception as e:
                data = pickle.dumps((False, RuntimeError("unpicklable: %r" % (e,))))
            with os.fdopen(w, "wb") as f:
                f.write(data)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    chunks = []
    deadline = time.monotonic() + TIMEOUT + 2
    while True:
        ready, _, _ = select.select([r], [], [], max(0, deadline - time.monotonic()))
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(r)
            raise TimeoutError("child as uid %d took too long" % uid)
        chunk = os.read(r, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        raise RuntimeError("child as uid %d died (status %#x)" % (uid, status))
    ok, value = pickle.loads(b"".join(chunks))
    if ok:
        return value
    raise value
