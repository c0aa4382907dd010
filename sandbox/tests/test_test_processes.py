"""What a test's process starts with, however it is started (forked Python, spawned C++ and
JavaScript): its limits, its OOM score, and no descriptor of the supervisor's."""

from __future__ import annotations

import json
import re

import pytest

from sandbox import judge
from sandbox.tests.support import NO_ARGS, request, verdicts

pytestmark = pytest.mark.usefixtures("sandbox")

# Each returns /proc/self/limits, then "oom <score>", then "fds <target> <target> ...": where
# each of its open descriptors (other than the listing's own) leads.
PROBES = {
    "python": (
        "import os\ndef attack():\n"
        "    limits = open('/proc/self/limits').read()\n"
        "    oom = open('/proc/self/oom_score_adj').read().strip()\n"
        "    fds = []\n"
        "    for name in os.listdir('/proc/self/fd'):\n"
        "        try:\n            fds.append(os.readlink('/proc/self/fd/' + name))\n"
        "        except OSError:\n            pass\n"
        "    return limits + 'oom ' + oom + '\\nfds ' + ' '.join(fds)\n"
    ),
    "cpp": (
        "#include <fstream>\n#include <sstream>\n#include <dirent.h>\n#include <unistd.h>\n"
        "string attack() {\n"
        "  std::stringstream text; std::string oom;\n"
        '  { std::ifstream limits("/proc/self/limits"); text << limits.rdbuf(); }\n'
        '  { std::ifstream score("/proc/self/oom_score_adj"); score >> oom; }\n'
        '  std::string fds; DIR* dir = opendir("/proc/self/fd");\n'
        "  while (dirent* entry = readdir(dir)) {\n"
        "    if (entry->d_name[0] == '.' || atoi(entry->d_name) == dirfd(dir)) continue;\n"
        "    char target[4096] = {0};\n"
        '    std::string path = std::string("/proc/self/fd/") + entry->d_name;\n'
        "    if (readlink(path.c_str(), target, sizeof target - 1) > 0)"
        " { fds += ' '; fds += target; }\n"
        "  }\n  closedir(dir);\n"
        '  return text.str() + "oom " + oom + "\\nfds" + fds;\n}\n'
    ),
    "javascript": (
        "const fs = require('fs');\nfunction attack() {\n"
        "  const limits = fs.readFileSync('/proc/self/limits', 'utf8');\n"
        "  const oom = fs.readFileSync('/proc/self/oom_score_adj', 'utf8').trim();\n"
        "  const fds = [];\n"
        "  for (const name of fs.readdirSync('/proc/self/fd')) {\n"
        "    try { fds.push(fs.readlinkSync('/proc/self/fd/' + name)); } catch (e) {}\n"
        "  }\n"
        "  return limits + 'oom ' + oom + '\\nfds ' + fds.join(' ');\n}\n"
    ),
}
MB = 1 << 20
ADDRESS_SPACE = {"cpp": 128 * MB + 16 * MB, "javascript": 128 * MB + 1280 * MB}


def _limits(text: str) -> dict[str, tuple[str, str]]:
    found = {}
    for line in text.splitlines()[1:]:
        fields = re.split(r"\s{2,}", line.strip())
        if len(fields) >= 3:
            found[fields[0]] = (fields[1], fields[2])
    return found


@pytest.mark.parametrize("language", sorted(PROBES))
def test_a_test_process_has_its_limits_and_nothing_of_the_supervisor(language: str) -> None:
    arguments = request(language, PROBES[language], [{"args": []}] * 2, signature=NO_ARGS)
    result = judge(**{**arguments, "memory_limit_mb": 128})
    assert verdicts(result) == ["ran", "ran"], result
    for test in result["tests"]:
        text = json.loads(test["output"])
        limits = _limits(text)
        assert limits["Max cpu time"] == ("2", "3")  # 1 s limit: RLIMIT_CPU backstop
        assert limits["Max open files"] == ("64", "64")
        assert limits["Max processes"] == ("64", "64")
        assert limits["Max file size"] == (str(16 * MB), str(16 * MB))
        assert limits["Max core file size"] == ("0", "0")
        assert limits["Max locked memory"] == ("0", "0")
        assert limits["Max msgqueue size"] == ("0", "0")
        if language in ADDRESS_SPACE:
            expected = str(ADDRESS_SPACE[language])
            assert limits["Max address space"] == (expected, expected)
        assert "oom 1000" in text  # the box's first OOM victim, never the supervisor
        fds = text.split("\nfds", 1)[1].split()
        for target in fds:
            # Pipes, node's own event descriptors and files: never the cgroup counters the
            # host gave the supervisor, its OOM score or its IPC tables.
            assert not any(
                word in target for word in ("memory.", "cpuacct", "cpu.stat", "oom", "sysvipc")
            ), fds
        if language == "cpp":
            assert len(fds) == 5, fds  # stdin, stdout, stderr, the arguments, the result
