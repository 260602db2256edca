"""Settings for the test suite: the normal settings in test mode, with fast hashing."""

import os

os.environ["WRAPAROUND_MODE"] = "test"

from wraparound.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each test process writes analytics snapshots to its own temporary directory.
import tempfile  # noqa: E402

ANALYTICS_DIR = Path(tempfile.mkdtemp(prefix="wraparound-analytics-"))  # noqa: F405
