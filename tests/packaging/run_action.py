"""Run the steps of a composite action (action.yml) the way a runner does:
inputs from their defaults and the JSON object of argv[2], each `run:` step in
bash with its `env:` (only `${{ inputs.NAME }}` expressions), the files behind
GITHUB_PATH and GITHUB_OUTPUT, and PATH growing by what a step appended to
GITHUB_PATH. Prints one JSON object: each step's exit code and output, and the
outputs. Used by tests/packaging.rs; the environment (RUNNER_TEMP, pip
settings) comes from the caller."""

import json
import os
import re
import subprocess
import sys

import yaml

action = yaml.safe_load(open(sys.argv[1]))
given = json.loads(sys.argv[2])
inputs = {k: str(v.get("default", "")) for k, v in action.get("inputs", {}).items()}
for k, v in given.items():
    assert k in inputs, f"unknown input {k}"
    inputs[k] = v


def expand(text):
    def one(m):
        expr = m.group(1).strip()
        name = re.fullmatch(r"inputs\.([A-Za-z0-9_-]+)", expr)
        assert name, f"unsupported expression {expr}"
        return inputs[name.group(1)]

    return re.sub(r"\$\{\{(.*?)\}\}", one, text)


tmp = os.environ["RUNNER_TEMP"]
gh_path = os.path.join(tmp, "github_path")
gh_output = os.path.join(tmp, "github_output")
open(gh_path, "w").close()
open(gh_output, "w").close()
steps = []
for step in action["runs"]["steps"]:
    if "run" not in step:
        continue
    env = dict(os.environ)
    extra = [l for l in open(gh_path).read().splitlines() if l]
    env["PATH"] = os.pathsep.join(list(reversed(extra)) + [env["PATH"]])
    env["GITHUB_PATH"] = gh_path
    env["GITHUB_OUTPUT"] = gh_output
    for k, v in step.get("env", {}).items():
        env[k] = expand(str(v))
    assert "${{" not in step["run"], "expressions in a script"
    p = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
        env=env,
        capture_output=True,
        text=True,
    )
    steps.append({"name": step.get("name", ""), "code": p.returncode, "stdout": p.stdout, "stderr": p.stderr})
    if p.returncode != 0:
        break
outputs = dict(l.split("=", 1) for l in open(gh_output).read().splitlines() if "=" in l)
print(json.dumps({"steps": steps, "outputs": outputs}))
