"""The export engines: one module per format or engine, chosen by `selector`."""
