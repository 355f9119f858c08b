#!/bin/sh
# ApplicationStop: stop the running service, if any.
set -eu
if [ -f /opt/shop-api/shop-api.pid ]; then
    kill "$(cat /opt/shop-api/shop-api.pid)" 2>/dev/null || true
    rm -f /opt/shop-api/shop-api.pid
fi
