"""A file's identity and change stamp, the test the scan state applies before trusting a file is unchanged.

POSIX: size, mtime, ctime (the inode change time: restoring an mtime with utime still moves it) and
inode + device. Windows: size, mtime, the ChangeTime of FILE_BASIC_INFO (not st_ctime, which before Python 3.12
is the creation time and does not move when content is written with a forged mtime) and the file ID with the
volume serial number.
"""

from __future__ import annotations

import sys

from secret_scanner.engine.walk import FileEntry

Stamp = tuple[int, int, int, int, int]


def stamp_of(entry: FileEntry) -> Stamp:
    if sys.platform == "win32":
        return _windows_stamp(entry)
    return (entry.size, entry.mtime_ns, entry.ctime_ns, entry.inode, entry.device)


if sys.platform == "win32":
    import ctypes
    from ctypes import wintypes

    _FILE_READ_ATTRIBUTES = 0x80
    _SHARE_ALL = 0x1 | 0x2 | 0x4
    _OPEN_EXISTING = 3
    _FLAGS = 0x02000000 | 0x00200000  # FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT
    _FILE_BASIC_INFO = 0
    _FILE_ID_INFO = 18

    class _BasicInfo(ctypes.Structure):
        _fields_ = [("CreationTime", ctypes.c_longlong), ("LastAccessTime", ctypes.c_longlong),
                    ("LastWriteTime", ctypes.c_longlong), ("ChangeTime", ctypes.c_longlong),
                    ("FileAttributes", wintypes.DWORD)]

    class _IdInfo(ctypes.Structure):
        _fields_ = [("VolumeSerialNumber", ctypes.c_ulonglong), ("FileId", ctypes.c_ubyte * 16)]

    _kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    _kernel32.CreateFileW.restype = wintypes.HANDLE

    def _windows_stamp(entry: FileEntry) -> Stamp:
        handle = _kernel32.CreateFileW(entry.path, _FILE_READ_ATTRIBUTES, _SHARE_ALL, None, _OPEN_EXISTING,
                                       _FLAGS, None)
        if handle in (None, wintypes.HANDLE(-1).value):
            return (entry.size, entry.mtime_ns, -1, -1, -1)  # never equal to a stored stamp: the file is read
        try:
            basic, ident = _BasicInfo(), _IdInfo()
            if not _kernel32.GetFileInformationByHandleEx(handle, _FILE_BASIC_INFO, ctypes.byref(basic),
                                                          ctypes.sizeof(basic)):
                return (entry.size, entry.mtime_ns, -1, -1, -1)
            if not _kernel32.GetFileInformationByHandleEx(handle, _FILE_ID_INFO, ctypes.byref(ident),
                                                          ctypes.sizeof(ident)):
                return (entry.size, entry.mtime_ns, -1, -1, -1)
            file_id = int.from_bytes(bytes(ident.FileId), "little")
            return (entry.size, int(basic.LastWriteTime), int(basic.ChangeTime), file_id,
                    int(ident.VolumeSerialNumber))
        finally:
            _kernel32.CloseHandle(handle)
