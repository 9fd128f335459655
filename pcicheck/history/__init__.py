"""Period evidence from a series of evidence packs: `pcicheck history SOURCE`.

read.py finds and verifies the packs and takes from each the outcomes history needs; timeline.py
computes, per requirement, testing procedure and control, the status over time and what follows
from it; render.py writes history.json and the one offline index.html; pack.py seals the history
pack as every pack is sealed.
"""
