# SPDX-License-Identifier: MIT
"""Named shared memory through shmbrokerd, the shared-memory broker.

A thin layer over libshmbroker (loaded with ctypes): the broker creates and opens named
segments as its policy allows, and hands over file descriptors, which this module maps::

    import shmbroker

    with shmbroker.create("alice-frames", 1 << 20) as seg:
        seg.mmap[:5] = b"hello"

    with shmbroker.open("alice-frames", access="ro") as seg:
        print(seg.size, bytes(seg.mmap[:5]))

    shmbroker.unlink("alice-frames")

A producer can declare a segment's bytes final, and a consumer wait for that::

    shmbroker.publish("alice-frames")                       # the creator, segment closed
    shmbroker.wait("alice-frames", published=True, timeout=5)   # anyone who may read it

Who the caller is comes from the kernel; what it may do is the broker's policy. Every
failure is an OSError with the errno the broker answered (FileNotFoundError,
PermissionError, FileExistsError, ...); when the broker said why, the message says it too
("Permission denied: the rule does not let you create") and the exception's ``reason``
attribute holds the broker's reason code.

The socket is ``$SHMBROKER_SOCKET``, else ``/run/shmbroker/socket``; ``Client(socket=PATH)``
picks another. The module-level functions share one connection per process (made on first
use, again after ``os.fork()``, and again after it broke); a ``Client`` is a connection of
its own. Both may be used from several threads: calls on one connection are serialised.

Not here: watch, status and explain (see shmbrokerctl(1) and libshmbroker(3)).
"""

import ctypes
import dataclasses
import errno as _errno
import mmap as _mmap
import os
import threading

__all__ = [
    "AppSocket",
    "Client",
    "Segment",
    "Stat",
    "app_socket",
    "create",
    "list",
    "open",
    "publish",
    "socket_path",
    "stat",
    "unlink",
    "wait",
]

# The values of shmbroker.h.
_ACCESS = {"ro": 1, "rw": 2, "any": 3}
_ACCESS_NAME = {1: "ro", 2: "rw"}
_BACKEND_NAME = {1: "shm", 2: "memfd"}
_LIFETIME = {"default": 0, "persistent": 1, "process": 2}
_LIFETIME_NAME = {1: "persistent", 2: "process", 3: "span"}
_LIFETIME_SPAN = 3
_PUBLISH = {"seal": 1, "future": 2}
_WAIT_PUBLISHED = 1
_RIGHTS = ((1, "read"), (2, "write"), (4, "create"))
_OBJ_FLAGS = (
    (1 << 0, "orphan"),
    (1 << 1, "published"),
    (1 << 2, "seal-write"),
    (1 << 3, "seal-future-write"),
    (1 << 4, "fresh"),
    (1 << 5, "creator-gone"),
)
_ACL_TAGS = {0x01: "user_obj", 0x02: "user", 0x04: "group_obj", 0x08: "group", 0x10: "mask",
             0x20: "other"}
_ACL_MAX = 64
_ID_MAX = 255


class _AclEntry(ctypes.Structure):
    _fields_ = [("tag", ctypes.c_uint32), ("id", ctypes.c_uint32), ("perm", ctypes.c_uint32)]


class _Stat(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_uint64),
        ("uid", ctypes.c_uint32),
        ("gid", ctypes.c_uint32),
        ("mode", ctypes.c_uint32),
        ("backend", ctypes.c_uint32),
        ("rights", ctypes.c_uint32),
        ("n_acl", ctypes.c_uint32),
        ("acl", _AclEntry * _ACL_MAX),
        ("creator", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("ctime_usec", ctypes.c_uint64),
        ("lifetime_usec", ctypes.c_uint64),
        ("lifetime", ctypes.c_uint32),
        ("rule", ctypes.c_char * (_ID_MAX + 1)),
        ("app", ctypes.c_char * (_ID_MAX + 1)),
    ]


class _FdInfo(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_uint64),
        ("access", ctypes.c_uint32),
        ("backend", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
    ]


class _CreateOpts(ctypes.Structure):
    _fields_ = [
        ("flags", ctypes.c_uint32),
        ("lifetime", ctypes.c_uint32),
        ("lifetime_usec", ctypes.c_uint64),
    ]


_ListCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)

_lib = None
_libc = None
_lib_lock = threading.Lock()


def _load():
    """libshmbroker.so.1 (and libc's free()), loaded once, at the first call."""
    global _lib, _libc
    with _lib_lock:
        if _lib is not None:
            return _lib
        try:
            lib = ctypes.CDLL("libshmbroker.so.1")
        except OSError as e:
            raise ImportError("shmbroker: cannot load libshmbroker.so.1 (is libshmbroker1 "
                              "installed?): %s" % e) from e
        p, c_int, c_u64 = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64
        sigs = {
            "shmb_socket_path": (ctypes.c_char_p, [ctypes.c_char_p]),
            "shmb_connect": (c_int, [ctypes.c_char_p, ctypes.POINTER(p)]),
            "shmb_client_free": (p, [p]),
            "shmb_client_last_reason": (c_int, [p]),
            "shmb_reason_text": (ctypes.c_char_p, [c_int]),
            "shmb_create2": (c_int, [p, ctypes.c_char_p, c_u64, c_int,
                                     ctypes.POINTER(_CreateOpts), ctypes.POINTER(c_int),
                                     ctypes.POINTER(_FdInfo)]),
            "shmb_open": (c_int, [p, ctypes.c_char_p, c_int, ctypes.POINTER(c_int),
                                  ctypes.POINTER(_FdInfo)]),
            "shmb_publish": (c_int, [p, ctypes.c_char_p, c_int]),
            "shmb_wait": (c_int, [p, ctypes.c_char_p, ctypes.c_uint, c_u64]),
            "shmb_unlink": (c_int, [p, ctypes.c_char_p]),
            "shmb_stat": (c_int, [p, ctypes.c_char_p, ctypes.POINTER(_Stat)]),
            "shmb_list": (c_int, [p, _ListCallback, p]),
            "shmb_app_socket": (c_int, [p, ctypes.c_char_p, ctypes.POINTER(p)]),
        }
        for name, (res, args) in sigs.items():
            f = getattr(lib, name)
            f.restype, f.argtypes = res, args
        libc = ctypes.CDLL(None)
        libc.free.restype, libc.free.argtypes = None, [p]
        _libc = libc
        _lib = lib
        return lib


def _name_bytes(name):
    if isinstance(name, str):
        return os.fsencode(name)
    if isinstance(name, (bytes, bytearray)):
        return bytes(name)
    raise TypeError("a segment name is str or bytes, not %s" % type(name).__name__)


def _error(r, reason, name=None):
    """The OSError for libshmbroker's -errno @r and the broker's @reason."""
    code = -r
    text = os.strerror(code)
    why = _load().shmb_reason_text(reason) if reason else None
    if why:
        text = "%s: %s" % (text, why.decode("utf-8", "replace"))
    if name is None:
        e = OSError(code, text)
    else:
        e = OSError(code, text, os.fsdecode(name) if isinstance(name, bytes) else name)
    e.reason = reason
    return e


def socket_path():
    """The socket the module connects to: $SHMBROKER_SOCKET, else the default."""
    return os.fsdecode(_load().shmb_socket_path(None))


@dataclasses.dataclass(frozen=True)
class Stat:
    """What stat() reports of a segment."""
    name: str
    size: int
    uid: int            # owner
    gid: int            # group
    mode: int           # permission bits, as os.stat() shows them
    backend: str        # "shm" or "memfd"
    rights: frozenset   # what the caller may do: "read", "write", "create" (and unlink)
    acl: tuple          # (tag, id or None, perm) per entry; tag "user_obj", "user", ...
    creator: int        # the creator's uid
    flags: frozenset    # "orphan", "published", "seal-write", "fresh", ...
    ctime: float        # when it was created, seconds since the epoch
    lifetime: str       # "persistent", "process" or "span"
    span: float         # lifetime "span": seconds after its last open; else None
    rule: str           # the rule that governs it ("" when the broker does not say)
    app: str            # the creator's app id, or None


def _flag_set(value, table):
    return frozenset(n for bit, n in table if value & bit)


class Segment:
    """An open segment: its fd, its size and a shared mapping of all of it.

    ``mmap`` is a ``mmap.mmap`` of the whole segment, writable when ``access`` is "rw" (None
    for an empty segment, which cannot be mapped). ``fd`` is the descriptor (close-on-exec);
    ``close()`` (or leaving a ``with`` block) unmaps and closes it. The segment itself lives
    on in the broker until it is unlinked.
    """

    def __init__(self, name, fd, info):
        self.name = os.fsdecode(name)
        self.fd = fd
        self.size = info.size
        self.access = _ACCESS_NAME.get(info.access, "ro")
        self.backend = _BACKEND_NAME.get(info.backend, "unknown")
        self.flags = _flag_set(info.flags, _OBJ_FLAGS)
        self.mmap = None
        if self.size > 0:
            prot = _mmap.PROT_READ | (_mmap.PROT_WRITE if self.access == "rw" else 0)
            try:
                self.mmap = _mmap.mmap(fd, self.size, flags=_mmap.MAP_SHARED, prot=prot)
            except BaseException:
                os.close(fd)
                self.fd = -1
                raise

    @property
    def closed(self):
        return self.fd < 0

    def fileno(self):
        if self.fd < 0:
            raise ValueError("segment %r is closed" % self.name)
        return self.fd

    def close(self):
        """Unmap and close; a second call does nothing."""
        if self.mmap is not None:
            self.mmap.close()
            self.mmap = None
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:       # interpreter shutdown, exported buffers: nothing to do
            pass

    def __repr__(self):
        state = "closed" if self.closed else "fd=%d" % self.fd
        return "<shmbroker.Segment %r size=%d access=%s %s>" % (self.name, self.size,
                                                               self.access, state)


class Client:
    """A connection to the broker. The module-level functions use one of these per process.

    ``socket`` is the broker's socket path; None for $SHMBROKER_SOCKET or the default. Calls
    from several threads are serialised. ``close()`` (or a ``with`` block) hangs up. A Client
    serves the process that made it: in a child of ``os.fork()`` make a new one.
    """

    def __init__(self, socket=None):
        lib = _load()
        self._lock = threading.Lock()
        self._c = ctypes.c_void_p()
        path = None if socket is None else os.fsencode(socket)
        r = lib.shmb_connect(path, ctypes.byref(self._c))
        if r < 0:
            raise _error(r, 0, os.fsdecode(lib.shmb_socket_path(path)))
        self._pid = os.getpid()

    def _call(self, name, fn, *args):
        with self._lock:
            if not self._c:
                raise ValueError("the connection is closed")
            # A forked child shares the parent's socket: both would read each other's replies.
            if self._pid != os.getpid():
                raise ValueError("this connection belongs to the process that made it, not "
                                 "to a child of fork(): make a new Client")
            r = fn(self._c, *args)
            if r < 0:
                raise _error(r, _lib.shmb_client_last_reason(self._c), name)
            return r

    def close(self):
        with self._lock:
            if self._c:
                _lib.shmb_client_free(self._c)
                self._c = ctypes.c_void_p()

    @property
    def closed(self):
        return not self._c

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def create(self, name, size, access="rw", lifetime=None):
        """Create a segment of ``size`` bytes and open it; see the module's create()."""
        b = _name_bytes(name)
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError("size is an int")
        if size < 1:
            raise _error(-_errno.EINVAL, 0, name)
        if access not in _ACCESS:
            raise ValueError("access is 'rw', 'ro' or 'any', not %r" % (access,))
        opts = _CreateOpts()
        if lifetime is None:
            pass
        elif isinstance(lifetime, str):
            if lifetime not in _LIFETIME:
                raise ValueError("lifetime is 'default', 'persistent', 'process' or seconds, "
                                 "not %r" % (lifetime,))
            opts.lifetime = _LIFETIME[lifetime]
        else:
            usec = int(float(lifetime) * 1000000)
            if usec < 1000000:
                raise ValueError("a lifetime span is at least 1 second")
            opts.lifetime, opts.lifetime_usec = _LIFETIME_SPAN, usec
        fd, info = ctypes.c_int(-1), _FdInfo()
        self._call(name, _lib.shmb_create2, b, size, _ACCESS[access], ctypes.byref(opts),
                   ctypes.byref(fd), ctypes.byref(info))
        return Segment(b, fd.value, info)

    def open(self, name, access="rw"):
        """Open an existing segment; see the module's open()."""
        b = _name_bytes(name)
        if access not in _ACCESS:
            raise ValueError("access is 'rw', 'ro' or 'any', not %r" % (access,))
        fd, info = ctypes.c_int(-1), _FdInfo()
        self._call(name, _lib.shmb_open, b, _ACCESS[access], ctypes.byref(fd),
                   ctypes.byref(info))
        return Segment(b, fd.value, info)

    def publish(self, name, mode="seal"):
        """Declare a segment's bytes final; see the module's publish()."""
        b = _name_bytes(name)
        if mode not in _PUBLISH:
            raise ValueError("mode is 'seal' or 'future', not %r" % (mode,))
        self._call(name, _lib.shmb_publish, b, _PUBLISH[mode])

    def wait(self, name, published=False, timeout=None):
        """Wait until a segment exists (or is published); see the module's wait().

        Nothing else is done on this connection meanwhile: other threads' calls on it wait
        for it to end. If the broker does not answer in time (``timeout`` and the
        connection's 30 seconds), the OSError is ETIMEDOUT as well, and the connection is
        unusable from then on (ENOTCONN): the broker's own ETIMEDOUT leaves it usable.
        """
        b = _name_bytes(name)
        if timeout is None:
            usec = 0                    # the library's "no limit"
        else:
            if float(timeout) < 0:
                raise ValueError("timeout is seconds, at least 0, or None")
            # 0 is no limit to the library: the shortest limit there is instead.
            usec = min(max(int(float(timeout) * 1000000), 1), (1 << 64) - 1)
        self._call(name, _lib.shmb_wait, b, _WAIT_PUBLISHED if published else 0, usec)

    def unlink(self, name):
        """Remove a segment's name; see the module's unlink()."""
        self._call(name, _lib.shmb_unlink, _name_bytes(name))

    def stat(self, name):
        """Describe a segment; see the module's stat()."""
        b = _name_bytes(name)
        st = _Stat()
        self._call(name, _lib.shmb_stat, b, ctypes.byref(st))
        acl = tuple((_ACL_TAGS.get(a.tag, str(a.tag)),
                     a.id if a.tag in (0x02, 0x08) else None, a.perm)
                    for a in st.acl[:min(st.n_acl, _ACL_MAX)])
        return Stat(
            name=os.fsdecode(b.lstrip(b"/")),
            size=st.size, uid=st.uid, gid=st.gid, mode=st.mode,
            backend=_BACKEND_NAME.get(st.backend, "unknown"),
            rights=_flag_set(st.rights, _RIGHTS), acl=acl, creator=st.creator,
            flags=_flag_set(st.flags, _OBJ_FLAGS), ctime=st.ctime_usec / 1e6,
            lifetime=_LIFETIME_NAME.get(st.lifetime, "persistent"),
            span=st.lifetime_usec / 1e6 if st.lifetime == _LIFETIME_SPAN else None,
            rule=st.rule.decode("utf-8", "replace"),
            app=st.app.decode("ascii", "replace") or None)

    def list(self):
        """The names of the segments the caller may open; see the module's list()."""
        names = []

        def cb(name, _userdata):
            names.append(os.fsdecode(name))
            return 0
        self._call(None, _lib.shmb_list, _ListCallback(cb), None)
        return names

    def app_socket(self, app_id):
        """Ask for an app socket on this connection; see the module's app_socket().

        The socket lives as long as this connection: close() removes it.
        """
        if not isinstance(app_id, str):
            raise TypeError("an app id is a str")
        path = ctypes.c_void_p()
        self._call(None, _lib.shmb_app_socket, app_id.encode("utf-8"), ctypes.byref(path))
        try:
            return os.fsdecode(ctypes.string_at(path.value))
        finally:
            _libc.free(path)


class AppSocket:
    """A socket of the broker's for one sandboxed app, and the connection that keeps it.

    ``path`` is the socket: bind it into the app's sandbox as /run/shmbroker/socket. Every
    client that connects through it is the app ``app_id`` to the policy, with the uid and
    groups the kernel reports for it. The socket exists until ``close()`` (or the end of a
    ``with`` block, or this process's exit).
    """

    def __init__(self, app_id, socket=None):
        self.app_id = app_id
        self._client = Client(socket)
        try:
            self.path = self._client.app_socket(app_id)
        except BaseException:
            self._client.close()
            raise

    def close(self):
        self._client.close()

    @property
    def closed(self):
        return self._client.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<shmbroker.AppSocket %s %r%s>" % (self.app_id, self.path,
                                                  " closed" if self.closed else "")


# One connection per process for the module-level functions: made at the first call, made
# anew in a forked child (a shared connection would mix both processes' replies) and after a
# connection error (libshmbroker will not use a broken connection again).
_default = None
_default_lock = threading.Lock()
_CONN_ERRORS = frozenset((_errno.ECONNRESET, _errno.EPIPE, _errno.ETIMEDOUT, _errno.EPROTO,
                          _errno.EPROTONOSUPPORT, _errno.EBADMSG, _errno.ENOTCONN))


def _after_fork_in_child():
    global _default, _default_lock
    _default_lock = threading.Lock()
    c, _default = _default, None
    if c is not None:
        # Another thread of the parent may have held its lock at the fork; ours is a copy.
        c._lock = threading.Lock()
        c.close()           # our copy of the parent's socket; the parent's stays open


os.register_at_fork(after_in_child=_after_fork_in_child)


def _with_default(method, *args, **kwargs):
    global _default
    with _default_lock:
        if _default is None or _default.closed or _default._pid != os.getpid():
            _default = Client()
        c = _default
        try:
            return getattr(c, method)(*args, **kwargs)
        except OSError as e:
            if e.errno in _CONN_ERRORS:
                c.close()
                _default = None
            raise


def create(name, size, access="rw", lifetime=None):
    """Create a segment of ``size`` bytes and return it open, as a Segment.

    ``name`` is "x" or "/x" (the same segment; str or bytes). ``access`` is the fd wanted:
    "rw", "ro" or "any" (read-write if the policy allows it). ``lifetime``: None for what the
    rule says, "persistent", "process" (removed when this process exits) or a number of
    seconds (removed that long after its last open). The owner, group, mode and ACL are the
    policy's. Errors: FileExistsError, PermissionError, OSError with EFBIG (over MaxSize=),
    EDQUOT, ENOSPC, EINVAL (bad name, size under 1), ENAMETOOLONG.
    """
    return _with_default("create", name, size, access, lifetime)


def open(name, access="rw"):   # noqa: A001 (shmbroker.open, like os.open)
    """Open an existing segment and return it as a Segment.

    ``access`` is "rw", "ro" or "any". A read-only segment's mmap is read-only, and its fd
    cannot be reopened or mapped writable. Errors: FileNotFoundError, PermissionError,
    OSError with EINVAL or ENAMETOOLONG.
    """
    return _with_default("open", name, access)


def unlink(name):
    """Remove a segment's name; fds and mappings that exist stay valid."""
    _with_default("unlink", name)


def publish(name, mode="seal"):
    """Declare a segment's bytes final: the broker hands out no writable fd of it any more.

    A read-write open then fails with PermissionError (EACCES), "any" gets read-only, the
    flags of stat() and of a Segment say "published", and wait(published=True) returns.
    Who may publish is the rule's Publish= (the creator, by default). ``mode``:

    - "seal": a memfd segment gets F_SEAL_WRITE, so that not even fds handed out before can
      write; this fails with EBUSY while a writable mapping exists (the creator's own
      Segment too: close it first). A shm segment loses write access in its mode and ACL
      (fds handed out before keep theirs).
    - "future": a memfd segment gets F_SEAL_FUTURE_WRITE: writable mappings made before may
      still write; no new writable mapping, and no write() through any fd, those handed out
      before included. EOPNOTSUPP for a shm segment.

    Publishing again adds what the new mode adds. Errors: FileNotFoundError,
    PermissionError (EPERM: not the creator, or Publish= says no), OSError with EBUSY,
    EOPNOTSUPP, EINVAL or ENAMETOOLONG.
    """
    _with_default("publish", name, mode)


def wait(name, published=False, timeout=None):
    """Block until a segment ``name`` exists that the caller may open; return None.

    With ``published``, until it is also published (see publish()). ``timeout`` is in
    seconds (a float); None waits for ever. When it passes the error is TimeoutError
    (ETIMEDOUT). The wait is on a connection of its own, made for it, so that other threads'
    calls are not held up. Signals do not interrupt it: Python runs their handlers
    (KeyboardInterrupt too) once it has returned. Errors: PermissionError (EACCES: no rule
    lets the caller read the name), OSError with EINVAL or ENAMETOOLONG.
    """
    with Client() as c:
        c.wait(name, published, timeout)


def stat(name):
    """Describe a segment the caller may read, as a Stat."""
    return _with_default("stat", name)


def list():    # noqa: A001 (shmbroker.list)
    """The names of the segments the caller may open, sorted."""
    return _with_default("list")


def app_socket(app_id, socket=None):
    """Ask the broker for a socket for the sandboxed app ``app_id`` ("org.example.Viewer").

    Returns an AppSocket, whose ``path`` is the socket and which holds a connection of its
    own: the socket exists until the AppSocket is closed. Errors: OSError with EINVAL (not an
    app id), EPERM (asked through an app socket), EMFILE (the broker has as many as it takes),
    EOPNOTSUPP (a broker without app sockets).
    """
    return AppSocket(app_id, socket)
