"""The ``hubplan`` command line: a thin layer over :mod:`geo`."""
