"""Unit tests of the handler, with a JUnit report in reports/unit.xml."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
from handler import handler  # noqa: E402


class HandlerTest(unittest.TestCase):
    def test_names_the_caller(self):
        self.assertEqual(handler({"name": "ci"}, None)["body"], "service ci")

    def test_anonymous(self):
        self.assertEqual(handler(None, None)["statusCode"], 200)


if __name__ == "__main__":
    started = time.time()
    result = unittest.main(exit=False).result
    failed = len(result.failures) + len(result.errors)
    with open("reports/unit.xml", "w") as out:
        out.write(
            f'<testsuite name="handler" tests="{result.testsRun}" failures="{failed}" '
            f'time="{time.time() - started:.3f}">'
            + "".join(
                f'<testcase classname="HandlerTest" name="{n}"/>'
                for n in ("test_names_the_caller", "test_anonymous")
            )
            + "</testsuite>\n"
        )
    sys.exit(1 if failed else 0)
