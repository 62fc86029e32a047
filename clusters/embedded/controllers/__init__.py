"""Built-in controllers of the embedded cluster, one module each, driven by store watches."""
