"""Benchmark harness: the endpoint corpus generator and the side-by-side scanner comparison."""
