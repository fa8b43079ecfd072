#!/usr/bin/env python3
"""Summarises an Nsight Compute CSV (`ncu --csv --metrics gpu__time_duration.sum,dram__bytes_read.sum,...`):
per kernel name the launches, total and mean time, DRAM bytes and the bandwidth they reach, sorted
by total time. Used by scripts/gpu-check.sh profile on the GPU machine."""
import collections, csv, sys

UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "nsecond": 1e-9, "usecond": 1e-6, "msecond": 1e-3, "second": 1.0,
         "byte": 1, "Kbyte": 1e3, "Mbyte": 1e6, "Gbyte": 1e9, "KB": 1e3, "MB": 1e6, "GB": 1e9}

def main(path):
    rows = [r for r in csv.reader(open(path, errors="replace")) if len(r) > 10]
    if not rows:
        print(f"{path}: no ncu rows"); return
    header = rows[0]
    col = {name: header.index(name) for name in ("ID", "Kernel Name", "Metric Name", "Metric Unit", "Metric Value")}
    launches = collections.OrderedDict()  # launch id -> {name, metric: value}
    for r in rows[1:]:
        try:
            value = float(r[col["Metric Value"]].replace(",", "")) * UNITS.get(r[col["Metric Unit"]], 1)
        except ValueError:
            continue
        launch = launches.setdefault(r[col["ID"]], {"name": r[col["Kernel Name"]]})
        launch[r[col["Metric Name"]]] = value
    stats = collections.defaultdict(lambda: [0, 0.0, 0.0])
    for launch in launches.values():
        s = stats[launch["name"][:60]]
        s[0] += 1
        s[1] += launch.get("gpu__time_duration.sum", 0.0)
        s[2] += launch.get("dram__bytes_read.sum", 0.0) + launch.get("dram__bytes_write.sum", 0.0)
    total = sum(s[1] for s in stats.values())
    print(f"{len(launches)} launches, {total * 1e3:.3f} ms of kernel time")
    print(f"{'kernel':60s} {'calls':>6s} {'total ms':>9s} {'share':>6s} {'mean us':>9s} {'GB/s':>7s}")
    for name, (calls, seconds, dram) in sorted(stats.items(), key=lambda kv: -kv[1][1])[:30]:
        print(f"{name:60s} {calls:6d} {seconds * 1e3:9.3f} {seconds / total:6.1%} {seconds / calls * 1e6:9.2f} {dram / seconds / 1e9 if seconds else 0:7.0f}")

if __name__ == "__main__":
    main(sys.argv[1])
