#!/usr/bin/env python3
"""apktamper: make damaged copies of APK files for the e2e tests.

  apktamper.py data IN OUT      change one byte of file content in the data
                                tar and recompress it (gzip stays valid: only
                                the datahash can catch it)
  apktamper.py control IN OUT   change one byte of .PKGINFO text and
                                recompress the control member (only the
                                signature can catch it)
  apktamper.py recompress IN OUT
                                recompress the data part at another gzip level:
                                same files, other compressed bytes (datahash)
  apktamper.py unsign IN OUT    drop the signature member (an unsigned file)
"""
import gzip
import sys
import zlib


def members(data):
    """Split a byte string into its gzip members (raw compressed bytes)."""
    out, off = [], 0
    while off < len(data):
        d = zlib.decompressobj(31)
        d.decompress(data[off:])
        used = len(data) - off - len(d.unused_data)
        out.append(data[off:off + used])
        off += used
    return out


def flip_content_byte(tar, want_name):
    """Flip the first content byte of the first regular file entry whose
    name satisfies want_name; tar header checksums are not touched."""
    off = 0
    while off + 512 <= len(tar):
        hdr = tar[off:off + 512]
        if hdr == b"\0" * 512:
            break
        name = hdr[0:100].split(b"\0")[0].decode("utf-8", "replace")
        size = int(hdr[124:136].split(b"\0")[0].strip() or b"0", 8)
        typ = hdr[156:157]
        body = off + 512
        if typ in (b"0", b"\0") and size > 0 and want_name(name):
            b = bytearray(tar)
            b[body] ^= 0x20
            return bytes(b)
        off = body + (size + 511) // 512 * 512
    sys.exit("apktamper: no suitable entry to change")


def main():
    mode, src, dst = sys.argv[1:4]
    data = open(src, "rb").read()
    parts = members(data)
    if mode == "unsign":
        out = b"".join(parts[1:])
    elif mode == "control":
        tar = gzip.decompress(parts[1])
        tar = flip_content_byte(tar, lambda n: n == ".PKGINFO")
        parts[1] = gzip.compress(tar, 9, mtime=0)
        out = b"".join(parts)
    elif mode == "data":
        tar = gzip.decompress(b"".join(parts[2:]))
        tar = flip_content_byte(tar, lambda n: not n.startswith("."))
        out = b"".join(parts[:2]) + gzip.compress(tar, 6, mtime=0)
    elif mode == "recompress":
        tar = gzip.decompress(b"".join(parts[2:]))
        out = b"".join(parts[:2]) + gzip.compress(tar, 1, mtime=0)
    else:
        sys.exit("apktamper: unknown mode " + mode)
    open(dst, "wb").write(out)


if __name__ == "__main__":
    main()
