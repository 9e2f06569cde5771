# src/vpn: the liveness engine (pure state machines) and its libev adapter.
