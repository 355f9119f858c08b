#!/bin/sh
# The release's one unit test: the page says hello.
grep -q "Hello" src/index.html
