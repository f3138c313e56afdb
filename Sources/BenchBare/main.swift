// Placeholder until bench/ lands: see bench/README.md.
print("BenchBare")
