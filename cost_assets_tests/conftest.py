"""Fixtures shared by the whole suite."""

import os

# Tests never talk to real AWS: no profile, no instance metadata lookups.
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
