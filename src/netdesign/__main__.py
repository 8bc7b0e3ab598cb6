"""``python -m netdesign``: the command line (:mod:`netdesign.cli`)."""

from netdesign.cli import app

app(prog_name="netdesign")
