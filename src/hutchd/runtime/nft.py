"""nft scripts run in a sandbox's network namespace through libnftables (the library the `nft` command
is made of), on a thread that joined the namespace: no `nsenter` and `nft` processes, which cost ~10 ms
each on every create, policy update and pinned DNS answer."""

from __future__ import annotations

import ctypes
import threading

from hutchd.runtime import netns

_lock = threading.Lock()  # one script at a time: libnftables does not document itself as thread-safe
_lib: ctypes.CDLL | None = None


class NftError(OSError):
    """nft refused the script; the message is nft's."""


def _library() -> ctypes.CDLL:
    global _lib
    if _lib is None:
        lib = ctypes.CDLL("libnftables.so.1", use_errno=True)
        lib.nft_ctx_new.argtypes = [ctypes.c_uint32]
        lib.nft_ctx_new.restype = ctypes.c_void_p
        lib.nft_ctx_free.argtypes = [ctypes.c_void_p]
        lib.nft_ctx_free.restype = None
        for name in ("nft_ctx_buffer_output", "nft_ctx_buffer_error"):
            getattr(lib, name).argtypes = [ctypes.c_void_p]
            getattr(lib, name).restype = ctypes.c_int
        for name in ("nft_ctx_get_output_buffer", "nft_ctx_get_error_buffer"):
            getattr(lib, name).argtypes = [ctypes.c_void_p]
            getattr(lib, name).restype = ctypes.c_char_p
        lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.nft_run_cmd_from_buffer.restype = ctypes.c_int
        _lib = lib
    return _lib


def _run_here(script: str) -> str:
    """Run `script` in the calling thread's network namespace (its netlink socket is made there)."""
    lib = _library()
    with _lock:
        ctx = lib.nft_ctx_new(0)
        if not ctx:
            raise NftError("libnftables could not make a context")
        try:
            lib.nft_ctx_buffer_output(ctx)
            lib.nft_ctx_buffer_error(ctx)
            failed = lib.nft_run_cmd_from_buffer(ctx, script.encode())
            output = (lib.nft_ctx_get_output_buffer(ctx) or b"").decode(errors="replace")
            if failed:
                raise NftError((lib.nft_ctx_get_error_buffer(ctx) or b"").decode(errors="replace").strip())
            return output
        finally:
            lib.nft_ctx_free(ctx)


def run(netns_fd: int, script: str) -> str:
    """Run `script` (what `nft -f` reads) in the network namespace `netns_fd`; nft's output."""
    return netns.run_in(netns_fd, lambda: _run_here(script))
