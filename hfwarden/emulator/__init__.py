"""A local, faithful Inference Endpoints API for tests, benchmarks and the sandbox."""
