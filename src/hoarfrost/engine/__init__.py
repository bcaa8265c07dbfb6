"""The training engine: pure, jitted steps over explicit pytrees of values."""
