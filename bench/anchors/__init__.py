"""Anchors of the benchmark suite: what each workload is compared with, measured in the same run."""
