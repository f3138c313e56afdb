#!/usr/bin/env python3
"""Watches the ledger fill up during a bench/run ledger phase.

    ledger_progress.py N BUDGET_S PID -- COUNT_COMMAND...

Runs COUNT_COMMAND (prints the number of journal transactions) every 0.25 s until it reaches
N, BUDGET_S pass, or process PID exits; prints progress every 10 s and finally
`LEDGER count=… n=… wall_s=… first_s=… steady_s=… first_count=…`.
"""
import os
import subprocess
import sys
import time

n, budget, pid = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
command = sys.argv[sys.argv.index("--") + 1:]
start = time.time()
first = None
count = 0
last_print = 0.0
while time.time() - start < budget:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
        count = int(out or 0)
    except (ValueError, subprocess.SubprocessError):
        count = 0
    now = time.time()
    if count and first is None:
        first = (now, count)
    if now - last_print >= 10:
        print(f"t={now - start:.0f}s count={count}", flush=True)
        last_print = now
    if count >= n:
        break
    try:
        os.kill(pid, 0)
    except OSError:
        break
    time.sleep(0.25)
end = time.time()
print(f"LEDGER count={count} n={n} wall_s={end - start:.1f} first_s={(first[0] - start) if first else -1:.1f} "
      f"steady_s={(end - first[0]) if first else 0:.1f} first_count={first[1] if first else 0}")
