"""Ports the local stack picks for its servers."""

from __future__ import annotations

import socket

from argo_agents.local_stack.processes import _ephemeral_range, free_port


def test_free_ports_stay_out_of_the_client_port_range_and_never_repeat() -> None:
    # A port from the ephemeral range can become the source port of any outgoing
    # connection before the server binds it; the server then cannot listen.
    low, high = _ephemeral_range()
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    assert all(not (low <= p <= high) for p in ports)
    for port in ports[:5]:  # and each one can really be bound now
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
