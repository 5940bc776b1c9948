#!/usr/bin/env python3
"""A NOTIFY_SOCKET that behaves like systemd's: prints each datagram on its own line and closes the file
descriptors that come with it, which is what completes a sender's BARRIER=1 (systemd-notify waits for that,
up to 5 s, and socat never closes them). Node cannot receive SCM_RIGHTS on a datagram socket, hence Python.
Usage: sd-notify-receiver.py PATH"""
import array
import os
import socket
import sys

sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sys.argv[1])
fd_size = array.array("i").itemsize
while True:
    data, ancillary, _flags, _addr = sock.recvmsg(65536, socket.CMSG_SPACE(16 * fd_size))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(payload[: len(payload) - (len(payload) % fd_size)])
            for fd in fds:
                os.close(fd)
    sys.stdout.write(data.decode("utf-8", "replace").replace("\n", " ") + "\n")
    sys.stdout.flush()
