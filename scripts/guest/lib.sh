# SPDX-License-Identifier: GPL-2.0
# Sourced before every guest command (/sdp/lib.sh). Busybox sh runs its own
# applets before files on PATH, so route `ip` to iproute2 (full path, since
# ip picks its mode from argv[0]).
ip() { /usr/sbin/ip "$@"; }
rdma() { /usr/sbin/rdma "$@"; }
