#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""pty-run.py CMD [ARG...]: run CMD on a fresh pseudo-terminal that is its controlling
terminal (like a login shell's), then report whether anything was pushed into that terminal's
input queue (what a TIOCSTI attack would make the caller's shell read next).

Prints "status: N", "output: ..." (repr of what CMD wrote) and "injected: ..." (repr of the
pending input); exits 0."""
import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    master, slave = os.openpty()

    def make_ctty():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(sys.argv[1:], stdin=slave, stdout=slave, stderr=slave,
                            preexec_fn=make_ctty, close_fds=True)
    output = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            output += data
        elif proc.poll() is not None:
            break
    status = proc.wait(timeout=10)
    # Pending input on the slave side: in canonical mode FIONREAD counts complete lines, so
    # also switch to raw mode and read whatever is queued.
    buf = fcntl.ioctl(slave, termios.FIONREAD, struct.pack("i", 0))
    pending = struct.unpack("i", buf)[0]
    attrs = termios.tcgetattr(slave)
    attrs[3] &= ~(termios.ICANON | termios.ECHO)
    attrs[6][termios.VMIN] = 0
    attrs[6][termios.VTIME] = 0
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    os.set_blocking(slave, False)
    try:
        injected = os.read(slave, 65536)
    except BlockingIOError:
        injected = b""
    print("status: %d" % status)
    print("output: %r" % output)
    print("pending: %d" % pending)
    print("injected: %r" % injected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
