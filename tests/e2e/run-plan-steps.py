#!/usr/bin/env python3
"""run-plan-steps: execute a plan's shell steps below a fake root, for tests.

Usage: run-plan-steps.py PLAN.json ROOT [PACKAGE...]

Every "/home/build" in a step's script and working directory is moved to
ROOT/home/build, and the script runs as the runner would run it (set -eo
pipefail, mkdir and cd into the working directory) with busybox sh and the
host's tools.  Only the packages named are run (all when none are).  Exits
with the first failing step's status.
"""
import json
import os
import subprocess
import sys


def main():
    plan = json.load(open(sys.argv[1]))
    root = os.path.abspath(sys.argv[2])
    only = set(sys.argv[3:])
    home = root + "/home/build"
    for step in plan["steps"]:
        if step["kind"] != "shell" or (only and step["package"] not in only):
            continue
        wd = step["workdir"].replace("/home/build", home, 1)
        script = step["runs"].replace("/home/build", home)
        env = dict(os.environ)
        env.update(step["environment"])
        env["PATH"] = os.environ["PATH"]
        env["HOME"] = home
        full = "set -eo pipefail\nmkdir -p '%s'\ncd '%s'\n%s\n" % (wd, wd, script)
        r = subprocess.run(["busybox", "sh", "-c", full], env=env)
        if r.returncode:
            print("step at %s (%s) failed with %d" % (step["location"], step["uses"], r.returncode),
                  file=sys.stderr)
            sys.exit(r.returncode)


main()
