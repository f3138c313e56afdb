#!/usr/bin/env python3
"""Every module a target imports is one it declares in Package.swift (a product, a target) or a
toolchain module. A module that builds only because another dependency happens to bring it in
breaks the day that dependency changes. Prints one line per undeclared import; exit 1 if any."""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "."
text = open(os.path.join(root, "Package.swift")).read()
TOOLCHAIN = {"Foundation", "FoundationEssentials", "FoundationNetworking", "Glibc", "Darwin", "Dispatch",
             "Synchronization", "_Concurrency", "Testing", "XCTest", "PackageDescription", "os", "Musl"}
targets = {}
for m in re.finditer(r'\.(target|executableTarget|testTarget|systemLibrary)\(\s*name:\s*"([^"]+)"', text):
    start = m.end()
    depth, i = 1, start
    while depth and i < len(text):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        i += 1
    body = text[start:i]
    deps = set(re.findall(r'\.product\(name:\s*"([^"]+)"', body))
    dep_block = re.search(r'dependencies:\s*\[(.*?)\]\s*(,\s*(swiftSettings|path|exclude|resources)|\))', body, re.S)
    if dep_block:
        deps |= set(re.findall(r'(?<![\w:])"([A-Za-z_][\w]*)"', re.sub(r'\.product\([^)]*\)', "", dep_block.group(1))))
    targets[m.group(2)] = (m.group(1), deps)
problems = []
for name, (kind, deps) in sorted(targets.items()):
    if kind == "systemLibrary":
        continue
    base = "Tests" if kind == "testTarget" else "Sources"
    folder = os.path.join(root, base, name)
    for dirpath, _, files in os.walk(folder):
        for f in files:
            if not f.endswith(".swift"):
                continue
            path = os.path.join(dirpath, f)
            in_string = False
            for line in open(path, encoding="utf-8"):
                # Inside a multi-line string literal (e.g. a Python helper) nothing is an import.
                if line.count('"""') % 2 == 1:
                    in_string = not in_string
                    continue
                if in_string:
                    continue
                im = re.match(r'\s*(?:@\w+\s+)*(?:public |package |internal |private |fileprivate )?import\s+(?:struct |class |enum |protocol |func |var |let )?([A-Za-z_]\w*)', line)
                if not im:
                    continue
                module = im.group(1)
                if module in TOOLCHAIN or module in deps or module == name:
                    continue
                problems.append(f"{os.path.relpath(path, root)}: imports {module}, which {name} does not declare")
for p in sorted(set(problems)):
    print(p)
print(f"declared-imports: {len(targets)} targets, {len(set(problems))} undeclared imports")
sys.exit(1 if problems else 0)
