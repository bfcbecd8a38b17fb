# SPDX-License-Identifier: MIT
"""The Python module shmbroker against a real broker, as real users (conftest.py).

The policy (conftest.POLICY): py-shared-* is created by A, read-write for A and B, read-only
for C; py-memfd-* the same as a sealed memfd, read-only for B; %U-%a-* is each app's own;
%U-* each user's own.
"""
import errno
import mmap
import os
import stat as _stat
import threading
import time

import pytest

import shmbroker
from conftest import UID_A, UID_B, UID_C, run_as


def _create(name, size, data=b""):
    with shmbroker.create(name, size) as seg:
        seg.mmap[:len(data)] = data
        return (seg.size, seg.access, seg.backend)


def test_create_then_open_across_users(broker):
    assert run_as(UID_A, _create, "py-shared-a", 4096, b"hello") == (4096, "rw", "shm")

    def writer():
        with shmbroker.open("/py-shared-a") as seg:     # "/x" and "x" are one segment
            before = bytes(seg.mmap[:5])
            seg.mmap[5:11] = b" world"
            return before, seg.size, seg.access, isinstance(seg.mmap, mmap.mmap)
    assert run_as(UID_B, writer) == (b"hello", 4096, "rw", True)

    def reader():
        with shmbroker.open("py-shared-a", access="ro") as seg:
            data = bytes(seg.mmap[:11])
            try:
                seg.mmap[0:1] = b"X"
            except TypeError:
                return data, "read-only mapping"
            return data, "writable?!"
    assert run_as(UID_C, reader) == (b"hello world", "read-only mapping")


def test_denied_with_reason(broker):
    run_as(UID_A, _create, "py-shared-denied", 64)
    with pytest.raises(PermissionError) as e:
        run_as(UID_C, shmbroker.open, "py-shared-denied", "rw")
    assert e.value.errno == errno.EACCES
    assert e.value.filename == "py-shared-denied"
    # The broker's reason, in words after strerror's, when it gives one.
    if e.value.reason:
        assert "Permission denied: the rule does not let you" in str(e.value)
    else:
        assert str(e.value) == "[Errno 13] Permission denied: 'py-shared-denied'"
    with pytest.raises(PermissionError) as e:
        run_as(UID_B, shmbroker.create, "py-shared-by-b", 64)
    assert e.value.errno == errno.EACCES
    # A user no rule names at all (uid 41004 is in no principal list of py-shared-*).
    with pytest.raises(PermissionError):
        run_as(41004, shmbroker.open, "py-shared-denied", "ro")


def test_errno_values(broker):
    cases = [
        (lambda: shmbroker.open("py-shared-missing"), FileNotFoundError, errno.ENOENT),
        (lambda: shmbroker.create("", 16), OSError, errno.EINVAL),
        (lambda: shmbroker.create("a/b", 16), OSError, errno.EINVAL),
        (lambda: shmbroker.open(".."), OSError, errno.EINVAL),
        (lambda: shmbroker.create("x" * 256, 16), OSError, errno.ENAMETOOLONG),
        (lambda: shmbroker.create("py-shared-zero", 0), OSError, errno.EINVAL),
        (lambda: shmbroker.create("py-shared-big", 2 << 20), OSError, errno.EFBIG),
        (lambda: shmbroker.unlink("py-shared-missing"), FileNotFoundError, errno.ENOENT),
        (lambda: shmbroker.stat("py-shared-missing"), FileNotFoundError, errno.ENOENT),
    ]

    def check():
        got = []
        for fn, cls, code in cases:
            try:
                fn()
                got.append(None)
            except OSError as e:
                got.append((type(e) is cls or cls is OSError, e.errno))
        return got
    assert run_as(UID_A, check) == [(True, code) for _, _, code in cases]

    run_as(UID_A, _create, "py-shared-twice", 16)
    with pytest.raises(FileExistsError) as e:
        run_as(UID_A, shmbroker.create, "py-shared-twice", 16)
    assert e.value.errno == errno.EEXIST
    assert str(e.value).startswith("[Errno %d] File exists" % errno.EEXIST)


def test_reason_in_message():
    e = shmbroker._error(-errno.EACCES, 2, "x")         # SHMB_REASON_NO_CREATE
    assert isinstance(e, PermissionError)
    assert (e.errno, e.filename, e.reason) == (errno.EACCES, "x", 2)
    assert str(e) == "[Errno 13] Permission denied: the rule does not let you create: 'x'"
    e = shmbroker._error(-errno.EDQUOT, 9, b"y")        # SHMB_REASON_QUOTA_BYTES
    assert e.errno == errno.EDQUOT and e.filename == "y"
    assert "MaxBytesPerUser=" in str(e)
    assert str(shmbroker._error(-errno.ENOENT, 0)) == "[Errno 2] No such file or directory"


def test_bad_arguments(broker):
    def check():
        out = []
        for fn in (lambda: shmbroker.open("py-shared-a", access="w"),
                   lambda: shmbroker.create("py-shared-x", 16, access="rwx"),
                   lambda: shmbroker.create("py-shared-x", 16, lifetime="forever"),
                   lambda: shmbroker.create("py-shared-x", 16, lifetime=0.5)):
            try:
                fn()
            except ValueError:
                out.append("ValueError")
        for fn in (lambda: shmbroker.open(42), lambda: shmbroker.create("py-shared-x", "16")):
            try:
                fn()
            except TypeError:
                out.append("TypeError")
        return out
    assert run_as(UID_A, check) == ["ValueError"] * 4 + ["TypeError"] * 2


def test_stat(broker):
    run_as(UID_A, _create, "py-shared-stat", 8192)
    st = run_as(UID_B, shmbroker.stat, "py-shared-stat")
    assert isinstance(st, shmbroker.Stat)
    assert st.name == "py-shared-stat"
    assert st.size == 8192
    assert st.backend == "shm"
    assert st.rights == frozenset({"read", "write"})
    assert _stat.S_IMODE(st.mode) & 0o007 == 0
    assert ("user", UID_B, 6) in st.acl and ("user", UID_C, 4) in st.acl
    assert run_as(UID_C, shmbroker.stat, "/py-shared-stat").rights == frozenset({"read"})
    assert run_as(UID_A, shmbroker.stat, "py-shared-stat").rights == \
        frozenset({"read", "write", "create"})
    # Who may not read it is told it is not there.
    with pytest.raises(FileNotFoundError):
        run_as(41004, shmbroker.stat, "py-shared-stat")


def test_list(broker):
    run_as(UID_A, _create, "py-shared-list-1", 16)
    run_as(UID_A, _create, "py-shared-list-2", 16)
    names = run_as(UID_C, shmbroker.list)
    assert "py-shared-list-1" in names and "py-shared-list-2" in names
    assert names == sorted(names)
    assert not [n for n in names if not n.startswith("py-shared-")]
    run_as(UID_A, shmbroker.unlink, "py-shared-list-1")
    assert "py-shared-list-1" not in run_as(UID_C, shmbroker.list)
    assert run_as(41004, shmbroker.list) == []


def test_unlink_keeps_open_segments(broker):
    def hold_and_unlink():
        with shmbroker.create("py-shared-unlink", 4096) as seg:
            seg.mmap[:3] = b"abc"
            shmbroker.unlink("py-shared-unlink")
            still = bytes(seg.mmap[:3])
            try:
                shmbroker.open("py-shared-unlink")
            except FileNotFoundError:
                return still, "gone"
            return still, "still there?!"
    assert run_as(UID_A, hold_and_unlink) == (b"abc", "gone")
    run_as(UID_A, _create, "py-shared-unlink2", 16)
    with pytest.raises(PermissionError):
        run_as(UID_B, shmbroker.unlink, "py-shared-unlink2")


def test_segment_close(broker):
    def check():
        seg = shmbroker.create("py-shared-close", 4096)
        fd = seg.fileno()
        assert os.fstat(fd).st_size == 4096
        assert os.get_inheritable(fd) is False
        with seg:
            pass
        assert seg.closed and seg.mmap is None
        try:
            os.fstat(fd)
            return "fd still open"
        except OSError as e:
            assert e.errno == errno.EBADF
        seg.close()     # twice is fine
        try:
            seg.fileno()
        except ValueError:
            return "closed"
    assert run_as(UID_A, check) == "closed"


def test_memfd(broker):
    def create():
        with shmbroker.create("py-memfd-1", 4096) as seg:
            seg.mmap[:4] = b"memf"
            return seg.backend
    assert run_as(UID_A, create) == "memfd"

    def read():
        with shmbroker.open("py-memfd-1", access="any") as seg:
            try:
                os.ftruncate(seg.fd, 8192)
                resized = True
            except OSError:
                resized = False
            return seg.access, bytes(seg.mmap[:4]), resized
    assert run_as(UID_B, read) == ("ro", b"memf", False)


def test_private_prefix(broker):
    def mine(uid):
        with shmbroker.create("%d-mine" % uid, 100) as seg:
            return seg.size
    assert run_as(UID_A, mine, UID_A) == 100
    # For B no rule matches another user's prefix at all.
    with pytest.raises(PermissionError):
        run_as(UID_B, shmbroker.open, "%d-mine" % UID_A)


def test_fork_gets_its_own_connection(broker):
    def check():
        shmbroker.list()        # the parent's connection exists now
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                for i in range(50):
                    with shmbroker.create("%d-child-%d" % (UID_A, i), 64):
                        pass
                code = 0
            finally:
                os._exit(code)
        for i in range(50):
            with shmbroker.create("%d-parent-%d" % (UID_A, i), 64):
                pass
        _, status = os.waitpid(pid, 0)
        return status, len([n for n in shmbroker.list() if "-child-" in n or "-parent-" in n])
    assert run_as(UID_A, check) == (0, 100)


def test_client_not_across_fork(broker):
    def check():
        c = shmbroker.Client()
        c.list()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                c.list()
            except ValueError:
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        names = c.list()        # the parent's connection is still in step
        c.close()
        return status, isinstance(names, list)
    assert run_as(UID_A, check) == (0, True)


def test_threads_share_the_connection(broker):
    def check():
        errors = []

        def worker(k):
            try:
                for i in range(25):
                    name = "%d-t%d-%d" % (UID_A, k, i)
                    with shmbroker.create(name, 64) as seg:
                        seg.mmap[0] = k
                    with shmbroker.open(name) as seg:
                        assert seg.mmap[0] == k
                    shmbroker.unlink(name)
            except Exception as e:      # noqa: reported below
                errors.append(repr(e))
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return errors
    assert run_as(UID_A, check) == []


def test_client_object(broker):
    def check():
        with shmbroker.Client(socket=broker.socket) as c:
            with c.create("%d-client" % UID_A, 32) as seg:
                size = seg.size
            names = c.list()
        try:
            shmbroker.Client(socket="/nonexistent/socket")
        except FileNotFoundError as e:
            return size, "%d-client" % UID_A in names, e.filename, c.closed
    assert run_as(UID_A, check) == (32, True, "/nonexistent/socket", True)


def test_socket_path(broker):
    assert shmbroker.socket_path() == broker.socket


def test_app_socket(broker):
    def check():
        with shmbroker.app_socket("org.example.Editor") as app:
            st = os.stat(app.path)
            info = (_stat.S_ISSOCK(st.st_mode), st.st_uid, _stat.S_IMODE(st.st_mode))
            with shmbroker.Client(socket=app.path) as c:
                name = "%d-org.example.Editor-doc" % UID_A
                with c.create(name, 100) as seg:
                    created = seg.size
                # An app cannot mint another app's socket.
                try:
                    c.app_socket("org.example.Other")
                    minted = "minted?!"
                except PermissionError as e:
                    minted = e.errno
                # An app is not its user: the user's private prefix is not the app's.
                try:
                    c.create("%d-user-thing" % UID_A, 10)
                    user_prefix = "allowed?!"
                except PermissionError as e:
                    user_prefix = e.errno
            path = app.path
        # The broker removes the socket once it sees the connection that asked close.
        for _ in range(500):
            if not os.path.exists(path):
                break
            time.sleep(0.01)
        return info, created, minted, user_prefix, not os.path.exists(path)
    info, created, minted, user_prefix, gone = run_as(UID_A, check)
    assert info == (True, UID_A, 0o600)
    assert created == 100
    assert minted == errno.EPERM
    assert user_prefix == errno.EACCES
    assert gone


def test_app_socket_bad_id(broker):
    for bad in ("org", "org..x", "", "org.2x"):
        with pytest.raises(OSError) as e:
            run_as(UID_A, shmbroker.app_socket, bad)
        assert e.value.errno == errno.EINVAL, bad


def test_publish_shm(broker):
    def create_and_publish():
        with shmbroker.create("py-shared-pub", 4096) as seg:
            seg.mmap[:5] = b"final"
        before = shmbroker.stat("py-shared-pub").flags
        shmbroker.publish("py-shared-pub")
        shmbroker.publish("/py-shared-pub")     # again: nothing more to take away
        return "published" in before, shmbroker.stat("py-shared-pub").flags
    before, after = run_as(UID_A, create_and_publish)
    assert before is False
    assert "published" in after

    # B may write py-shared-*, but no writable fd of a published segment is handed out.
    with pytest.raises(PermissionError) as e:
        run_as(UID_B, shmbroker.open, "py-shared-pub", "rw")
    assert (e.value.errno, e.value.reason) == (errno.EACCES, 18)     # SHMB_REASON_PUBLISHED
    assert e.value.filename == "py-shared-pub"

    def read(access):
        with shmbroker.open("py-shared-pub", access=access) as seg:
            return seg.access, bytes(seg.mmap[:5]), "published" in seg.flags
    assert run_as(UID_B, read, "ro") == ("ro", b"final", True)
    assert run_as(UID_B, read, "any") == ("ro", b"final", True)
    assert "published" in run_as(UID_C, shmbroker.stat, "py-shared-pub").flags
    # The mode bits lost write too.
    assert run_as(UID_B, shmbroker.stat, "py-shared-pub").mode & 0o222 == 0


def test_publish_refused(broker):
    run_as(UID_A, _create, "py-shared-pub2", 64)
    # Only the creator may publish (the rule's default Publish=creator).
    with pytest.raises(PermissionError) as e:
        run_as(UID_B, shmbroker.publish, "py-shared-pub2")
    assert (e.value.errno, e.value.reason) == (errno.EPERM, 19)      # SHMB_REASON_NOT_CREATOR
    assert str(e.value) == ("[Errno 1] Operation not permitted: only the object's creator may "
                            "do this: 'py-shared-pub2'")
    with pytest.raises(FileNotFoundError):
        run_as(UID_A, shmbroker.publish, "py-shared-missing")
    # A shm segment cannot be sealed.
    with pytest.raises(OSError) as e:
        run_as(UID_A, shmbroker.publish, "py-shared-pub2", "future")
    assert e.value.errno == errno.EOPNOTSUPP
    with pytest.raises(ValueError):
        run_as(UID_A, shmbroker.publish, "py-shared-pub2", "final")
    # Nothing above published it.
    assert "published" not in run_as(UID_A, shmbroker.stat, "py-shared-pub2").flags


def test_publish_memfd(broker):
    def check():
        out = []
        with shmbroker.create("py-memfd-pub", 4096) as seg:
            seg.mmap[:3] = b"abc"
            # F_SEAL_WRITE while our own writable mapping exists: the kernel says no.
            try:
                shmbroker.publish("py-memfd-pub")
                out.append("sealed?!")
            except OSError as e:
                out.append((e.errno, e.reason))
            # F_SEAL_FUTURE_WRITE: what is mapped already may still write.
            shmbroker.publish("py-memfd-pub", mode="future")
            seg.mmap[3:6] = b"def"
            out.append(sorted(shmbroker.stat("py-memfd-pub").flags & {
                "published", "seal-write", "seal-future-write"}))
        shmbroker.publish("py-memfd-pub")      # no mapping left: now the bytes are final
        out.append(sorted(shmbroker.stat("py-memfd-pub").flags & {
            "published", "seal-write", "seal-future-write"}))
        try:
            shmbroker.open("py-memfd-pub", "rw")
            out.append("writable?!")
        except PermissionError as e:
            out.append((e.errno, e.reason))
        return out
    assert run_as(UID_A, check) == [
        (errno.EBUSY, 24),                                  # SHMB_REASON_BUSY
        ["published", "seal-future-write"],
        ["published", "seal-future-write", "seal-write"],
        (errno.EACCES, 18)]                                 # SHMB_REASON_PUBLISHED

    def read():
        with shmbroker.open("py-memfd-pub", access="ro") as seg:
            return bytes(seg.mmap[:6]), "published" in seg.flags
    assert run_as(UID_B, read) == (b"abcdef", True)


def _wait_across(wait, act):
    """Runs wait() in a thread, then act(): (answered before act(), answered after, [what
    wait() returned or raised]). No sleep orders the two threads: a wait that reaches the broker
    only after act() still passes, and one answered before it fails."""
    done = threading.Event()
    result = []

    def waiter():
        try:
            result.append(wait())
        except Exception as e:      # noqa: reported below
            result.append(e)
        done.set()
    t = threading.Thread(target=waiter)
    t.start()
    early = done.wait(0.5)
    act()
    answered = done.wait(10)
    t.join(10)
    return early, answered, result


def test_wait_for_a_later_name(broker):
    def create():
        # The module-level wait has a connection of its own: the shared one is free.
        with shmbroker.create("py-shared-later", 64):
            pass

    def check():
        # The broker holds its answer while the name does not exist.
        return _wait_across(lambda: shmbroker.wait("py-shared-later", timeout=10), create)
    assert run_as(UID_A, check) == (False, True, [None])
    # For a name that exists, at once; through a Client as well ("/x" is "x").
    assert run_as(UID_C, shmbroker.wait, "py-shared-later") is None

    def client_wait():
        with shmbroker.Client() as c:
            return c.wait("/py-shared-later", timeout=10)
    assert run_as(UID_B, client_wait) is None


def test_wait_published(broker):
    run_as(UID_A, _create, "py-shared-waitpub", 64, b"v1")

    def wait():
        with shmbroker.Client() as c:
            return c.wait("py-shared-waitpub", published=True, timeout=10)

    def check():
        # It exists, but the waiter asked for published: no answer until it is.
        return _wait_across(wait, lambda: shmbroker.publish("py-shared-waitpub"))
    assert run_as(UID_A, check) == (False, True, [None])
    assert run_as(UID_C, shmbroker.wait, "py-shared-waitpub", True, 10) is None


def test_wait_timeout(broker):
    def check():
        out = []
        with shmbroker.Client() as c:
            for timeout in (0.2, 0):
                t0 = time.monotonic()
                try:
                    c.wait("py-shared-never", timeout=timeout)
                    out.append("returned?!")
                except OSError as e:
                    out.append((type(e).__name__, e.errno, e.reason, e.filename,
                                time.monotonic() - t0 >= timeout))
            # The broker's ETIMEDOUT leaves the connection usable.
            try:
                c.stat("py-shared-never")
            except FileNotFoundError:
                out.append("still usable")
        try:
            shmbroker.wait("py-shared-never", published=True, timeout=0.05)
        except OSError as e:
            out.append(e.errno)
        return out
    assert run_as(UID_B, check) == [("TimeoutError", errno.ETIMEDOUT, 0, "py-shared-never", True),
                                    ("TimeoutError", errno.ETIMEDOUT, 0, "py-shared-never", True),
                                    "still usable", errno.ETIMEDOUT]


def test_wait_refused(broker):
    # Refused at once, not waited out, when no rule lets the caller read the name.
    with pytest.raises(PermissionError) as e:
        run_as(41004, shmbroker.wait, "py-shared-never", False, 10)
    assert (e.value.errno, e.value.reason) == (errno.EACCES, 3)      # SHMB_REASON_NO_READ
    with pytest.raises(PermissionError) as e:
        run_as(UID_A, shmbroker.wait, "nothing-matches", False, 10)
    assert (e.value.errno, e.value.reason) == (errno.EACCES, 1)      # SHMB_REASON_NO_RULE
    with pytest.raises(OSError) as e:
        run_as(UID_A, shmbroker.wait, "a/b")
    assert e.value.errno == errno.EINVAL
    with pytest.raises(ValueError):
        run_as(UID_A, shmbroker.wait, "py-shared-never", False, -1)
