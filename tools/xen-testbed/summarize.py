#!/usr/bin/env python3
"""Side-by-side table from a test-bed results directory (run.sh --out DIR): one row per tool/policy/rate with the
attempts, the crashes seen, the completed runs, and for the completed runs the total time, the pages with data per
pass, the final-copy pages and the guest's longest stall. xmig's pages come from its own report (<tag>.json); stock
xl's from xmig's reading of the captured stream (<tag>.stream.xen-verify.json: a pass starts where the pfn order
restarts). Usage: summarize.py DIR"""
import json, os, sys
from collections import OrderedDict

d = sys.argv[1]
rows = OrderedDict()
for line in open(os.path.join(d, "results.jsonl")):
    r = json.loads(line)
    key = (r["rate"], r["tool"], r["policy"])
    row = rows.setdefault(key, {"attempts": 0, "crashes": 0, "fails": 0, "runs": []})
    row["attempts"] += 1
    if r["outcome"] == "guest-crash": row["crashes"] += 1
    elif r["outcome"] != "pass": row["fails"] += 1
    if r["outcome"] != "pass": continue
    tag = r["stream"][:-len(".stream")]
    passes, final = None, None
    if r["tool"] == "xmig":
        with open(os.path.join(d, tag + ".json")) as f:
            rep = json.load(f)
        passes = [x["pagesSent"] for x in rep["rounds"]] + [rep["finalPages"]]
        final = rep["finalPages"]
    else:
        p = os.path.join(d, r["stream"] + ".xen-verify.json")
        if os.path.exists(p):
            with open(p) as f:
                try:
                    s = json.load(f)
                    passes = [x["dataPages"] for x in s["passes"]]
                    final = passes[-1]
                except ValueError:
                    pass
    row["runs"].append({"seconds": r["seconds"], "stall": r["guest_stall_ms"], "passes": passes, "final": final})

print("| rate (pages/s) | sender | attempts | guest crashes | other failures | completed | total s | pages with data per pass | final-copy pages | guest's longest stall ms |")
print("|---|---|---|---|---|---|---|---|---|---|")
for (rate, tool, policy), row in rows.items():
    runs = row["runs"]
    name = "xl migrate (stock)" if tool == "xl" else "xmig " + policy
    fmt = lambda xs: " / ".join(str(x) for x in xs) if xs else "-"
    print("| %s | %s | %d | %d | %d | %d | %s | %s | %s | %s |" % (
        rate, name, row["attempts"], row["crashes"], row["fails"], len(runs),
        fmt([r["seconds"] for r in runs]), fmt(["+".join(map(str, r["passes"])) for r in runs if r["passes"]]),
        fmt([r["final"] for r in runs if r["final"] is not None]), fmt([r["stall"] for r in runs if r["stall"] is not None])))
