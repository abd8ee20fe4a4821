#!/usr/bin/env python3
"""Regenerate models/data/{accelerators,llms,ttc}.json from the sourced reference catalog.

Usage: /usr/bin/python3 tools/build_catalog.py [../shared/reference/catalog.json]

Entries are copied whole, so each keeps its source, its other sources, its confidence grade and
its notes; figures nobody could source stay null (the simulator refuses to use them unless a
scenario overrides them).  Run it only on purpose, when the reference catalog changes, and commit
the result: the JSON files are compiled into the binary.
"""
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared", "reference", "catalog.json")
with open(src, encoding="utf-8") as f:
    ref = json.load(f)

about = {
    "generated_by": "tools/build_catalog.py",
    "from": "shared/reference/catalog.json (" + ref["meta"]["title"] + ")",
    "conventions": ref["meta"]["conventions"],
}
out = os.path.join(here, "..", "models", "data")
for name, key in (("accelerators", "accelerators"), ("llms", "models"), ("ttc", "ttc")):
    with open(os.path.join(out, name + ".json"), "w", encoding="utf-8") as f:
        json.dump({"about": about, name: ref[key]}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(name, len(ref[key]))
