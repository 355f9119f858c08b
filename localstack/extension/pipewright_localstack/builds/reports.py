"""Test and coverage reports: JUnit XML and Cobertura XML parsed into CodeBuild's shapes (pure).

CodeBuild's user guide, "Test reports" (test-reporting: JUnit XML, and coverage in Cobertura,
among others) and the API reference's ``Report``, ``TestCase``, ``CodeCoverage``,
``TestReportSummary`` and ``CodeCoverageReportSummary`` shapes. A test report's status is
``FAILED`` when one of its cases failed or erred, ``SUCCEEDED`` otherwise; failed cases never fail
the build. Only JUNITXML and COBERTURAXML are read: a report in another format is said in the
build log and skipped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

READ_FORMATS = ("JUNITXML", "COBERTURAXML")


class ReportError(Exception):
    """A report file cannot be read; ``str(e)`` says which and why."""


def _seconds_to_nanos(value: str | None) -> int:
    try:
        return int(float(value or 0) * 1_000_000_000)
    except ValueError:
        return 0


def parse_junit(text: str, raw_path: str = "") -> list[dict]:
    """The test cases of a JUnit XML document (``testsuites`` or one ``testsuite``)."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as e:
        raise ReportError(f"{raw_path or 'report'} is not valid XML: {e}") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise ReportError(f"{raw_path or 'report'} is not JUnit XML (root <{root.tag}>)")
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    cases = []
    for suite in suites:
        for case in suite.findall("testcase"):
            status, message = "SUCCEEDED", None
            for child, state in (("failure", "FAILED"), ("error", "ERROR"), ("skipped", "SKIPPED")):
                found = case.find(child)
                if found is not None:
                    status = state
                    message = found.get("message") or (found.text or "").strip() or None
                    break
            entry = {
                "testRawDataPath": raw_path,
                "prefix": case.get("classname") or "",
                "name": case.get("name") or "",
                "status": status,
                "durationInNanoSeconds": _seconds_to_nanos(case.get("time")),
                "testSuiteName": suite.get("name") or "",
            }
            if message:
                entry["message"] = message
            cases.append(entry)
    return cases


_CONDITION = re.compile(r"\((\d+)/(\d+)\)")


def parse_cobertura(text: str, raw_path: str = "") -> list[dict]:
    """Per-file line and branch coverage of a Cobertura XML document."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as e:
        raise ReportError(f"{raw_path or 'report'} is not valid XML: {e}") from None
    if root.tag != "coverage":
        raise ReportError(f"{raw_path or 'report'} is not Cobertura XML (root <{root.tag}>)")
    files: dict[str, dict] = {}
    for cls in root.iter("class"):
        name = cls.get("filename") or cls.get("name") or ""
        counts = files.setdefault(name, {"lines": {}, "branches": [0, 0]})
        for line in cls.iter("line"):
            number = line.get("number")
            try:
                hits = int(line.get("hits") or 0)
            except ValueError:
                hits = 0
            counts["lines"][number] = max(counts["lines"].get(number, 0), hits)
            if (line.get("branch") or "").lower() == "true":
                match = _CONDITION.search(line.get("condition-coverage") or "")
                if match:
                    counts["branches"][0] += int(match.group(1))
                    counts["branches"][1] += int(match.group(2))
    coverages = []
    for name, counts in sorted(files.items()):
        covered = sum(1 for hits in counts["lines"].values() if hits > 0)
        missed = len(counts["lines"]) - covered
        b_covered, b_total = counts["branches"]
        coverages.append(
            {
                "filePath": name,
                "linesCovered": covered,
                "linesMissed": missed,
                "lineCoveragePercentage": _percent(covered, covered + missed),
                "branchesCovered": b_covered,
                "branchesMissed": b_total - b_covered,
                "branchCoveragePercentage": _percent(b_covered, b_total),
            }
        )
    return coverages


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def parse_files(paths: list[Path], file_format: str) -> dict:
    """``{"testCases": [...]}`` or ``{"codeCoverages": [...]}`` from the report's files."""
    if file_format not in READ_FORMATS:
        raise ReportError(f"file format {file_format} is not read by the emulator")
    cases: list[dict] = []
    coverages: list[dict] = []
    for path in paths:
        text = path.read_text(errors="replace")
        if file_format == "JUNITXML":
            cases.extend(parse_junit(text, path.name))
        else:
            coverages.extend(parse_cobertura(text, path.name))
    if file_format == "JUNITXML":
        return {"testCases": cases}
    return {"codeCoverages": coverages}


def test_summary(cases: list[dict]) -> dict:
    counts: dict[str, int] = {}
    for case in cases:
        counts[case["status"]] = counts.get(case["status"], 0) + 1
    return {
        "total": len(cases),
        "statusCounts": counts,
        "durationInNanoSeconds": sum(c["durationInNanoSeconds"] for c in cases),
    }


def coverage_summary(coverages: list[dict]) -> dict:
    covered = sum(c["linesCovered"] for c in coverages)
    missed = sum(c["linesMissed"] for c in coverages)
    b_covered = sum(c["branchesCovered"] for c in coverages)
    b_missed = sum(c["branchesMissed"] for c in coverages)
    return {
        "lineCoveragePercentage": _percent(covered, covered + missed),
        "linesCovered": covered,
        "linesMissed": missed,
        "branchCoveragePercentage": _percent(b_covered, b_covered + b_missed),
        "branchesCovered": b_covered,
        "branchesMissed": b_missed,
    }
