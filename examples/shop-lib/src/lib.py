"""The shop's library: what the library example's pipeline tests, packages and publishes."""


def add(a: int, b: int) -> int:
    return a + b
