"""Make sure the real-browser tests can run: Debian's Chromium at /usr/bin/chromium.

Installs it with apt-get when missing and running as root (as in CI); otherwise says how.
Browser tests fail, never skip, when Chromium is missing.
"""

import os
import shutil
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"

if os.path.exists(CHROMIUM):
    sys.exit(0)
if os.geteuid() == 0 and shutil.which("apt-get"):
    print("Installing Debian's chromium for the browser tests…", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
else:
    print(
        f"{CHROMIUM} is missing: install Debian's chromium (sudo apt-get install chromium) "
        "or the browser tests will fail.",
        file=sys.stderr,
    )
