"""Fresh CBS figures and boundaries: ``populatie fetch-cbs`` and ``populatie fetch-boundaries``.

The shipped ``geodata/`` stays the offline default; these commands add a new vintage file next
to it, with its provenance, which ``populatie load`` then reads like the shipped ones.
"""
