#!/bin/sh
# ApplicationStart: run the service in the background and note its pid.
set -eu
/opt/shop-api/shop-api > /opt/shop-api/shop-api.log 2>&1 &
echo $! > /opt/shop-api/shop-api.pid
