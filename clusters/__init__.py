"""How you get a cluster (embedded, kind, existing) and client-side Rollout operations."""

import sys

# jsonschema builds the optional rfc3987-syntax URI grammar at import time (1.5-4 s of CPU on
# these machines) whenever that package is installed, and JupyterLab's dependencies install it.
# Nothing here validates `format: uri`, so we skip the grammar: every cluster start, CLI call
# and test process saves those seconds. A process that imported it earlier keeps it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
