#!/bin/sh
# Starts serving /var/www/web.
echo "web started"
