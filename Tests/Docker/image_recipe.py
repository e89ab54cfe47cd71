"""Reads the Docker deliverables without a Docker engine: Dockerfiles, .dockerignore, compose.yaml.

Used by check_compose.py (the structure of docker/compose.yaml) and test_image_recipe.py (which runs the
image's ENTRYPOINT and HEALTHCHECK, and the compose services, as local processes). Only what those need is
parsed: stages, WORKDIR, COPY, USER, VOLUME, EXPOSE, HEALTHCHECK, ENTRYPOINT and CMD, exec form.
"""

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
DOCKERFILE = DOCKER / "Dockerfile"
COMPOSE_FILE = DOCKER / "compose.yaml"
DOCKERIGNORE = REPO / ".dockerignore"


class RecipeError(ValueError):
    """A Dockerfile or compose file this module cannot read, or that breaks a rule of the recipe."""


# ---- Dockerfile -----------------------------------------------------------------------------------------

@dataclass
class Instruction:
    keyword: str          # upper case
    arguments: str        # the rest of the logical line
    line: int             # where it starts (1-based)


@dataclass
class Copy:
    sources: list
    destination: str
    flags: dict           # --from, --chown, --chmod, --link (value True)
    line: int


@dataclass
class Healthcheck:
    options: dict         # --interval etc., without the dashes
    command: list         # exec form argv (after CMD)


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list = field(default_factory=list)

    def all(self, keyword):
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword):
        found = self.all(keyword)
        return found[-1] if found else None


def logical_lines(text):
    """(line number, text) of each instruction: continuations joined, comments and blank lines dropped."""
    lines = []
    current, start = [], None
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue  # blank lines and comments, also inside a continuation
        if start is None:
            start = number
        if stripped.endswith("\\"):
            current.append(stripped[:-1].strip())
            continue
        current.append(stripped)
        lines.append((start, " ".join(part for part in current if part)))
        current, start = [], None
    if current:
        lines.append((start, " ".join(current)))
    return lines


def parse_dockerfile(path):
    """The stages of a Dockerfile, each with its instructions."""
    stages = []
    for number, line in logical_lines(Path(path).read_text()):
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        arguments = arguments.strip()
        if keyword == "FROM":
            words = [w for w in arguments.split() if not w.startswith("--platform")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
            continue
        if not stages:
            if keyword == "ARG":
                continue
            raise RecipeError(f"{path}:{number}: {keyword} before FROM")
        stages[-1].instructions.append(Instruction(keyword, arguments, number))
    if not stages:
        raise RecipeError(f"{path}: no FROM")
    return stages


def exec_form(instruction, what):
    """The JSON array of an exec-form instruction; RecipeError for the shell form."""
    try:
        value = json.loads(instruction.arguments)
    except ValueError:
        value = None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise RecipeError(f"line {instruction.line}: {what} must use the exec form (a JSON array of strings), "
                          f"not {instruction.arguments!r}")
    return value


def split_flags(arguments):
    """(flags, rest) of `--name=value --flag rest...`."""
    words = shlex.split(arguments, posix=True)
    flags = {}
    while words and words[0].startswith("--"):
        name, equals, value = words.pop(0)[2:].partition("=")
        flags[name] = value if equals else True
    return flags, words


def parse_copy(instruction):
    text = instruction.arguments
    flags, words = split_flags(text)
    rest = text[text.index(words[0]):] if words else ""
    if rest.startswith("["):
        words = json.loads(rest)
    if len(words) < 2:
        raise RecipeError(f"line {instruction.line}: COPY needs a source and a destination")
    return Copy(sources=words[:-1], destination=words[-1], flags=flags, line=instruction.line)


def parse_healthcheck(instruction):
    flags, words = split_flags(instruction.arguments)
    if not words or words[0].upper() != "CMD":
        raise RecipeError(f"line {instruction.line}: HEALTHCHECK must be `HEALTHCHECK [options] CMD [...]`")
    rest = instruction.arguments[instruction.arguments.upper().index("CMD") + 3:].strip()
    command = exec_form(Instruction("CMD", rest, instruction.line), "HEALTHCHECK CMD")
    return Healthcheck(options=flags, command=command)


@dataclass
class Image:
    """What a container of the final stage starts with."""

    dockerfile: Path
    stages: list
    workdir: str
    copies: list                 # COPY instructions of the final stage, with absolute destinations
                                 # (ending in / when the destination is a folder for the sources)
    user: str | None
    volumes: list
    exposed: list
    healthcheck: Healthcheck | None
    entrypoint: list | None
    cmd: list | None

    @property
    def argv(self):
        """ENTRYPOINT + CMD, as the container runs it without extra arguments."""
        return list(self.entrypoint or []) + list(self.cmd or [])

    def context_copies(self):
        """COPYs from the build context (not from a stage)."""
        return [c for c in self.copies if "from" not in c.flags]


def read_image(path=DOCKERFILE):
    stages = parse_dockerfile(path)
    final = stages[-1]
    workdir = "/"
    copies = []
    for instruction in final.instructions:
        if instruction.keyword == "WORKDIR":
            workdir = str(PurePosixPath(workdir) / instruction.arguments)
        elif instruction.keyword in ("COPY", "ADD"):
            copy = parse_copy(instruction)
            folder = copy.destination.endswith("/") or copy.destination in (".", "./")
            copy.destination = str(PurePosixPath(workdir) / copy.destination) + ("/" if folder else "")
            copies.append(copy)
    user = final.last("USER")
    volumes = []
    for instruction in final.all("VOLUME"):
        text = instruction.arguments
        volumes += json.loads(text) if text.startswith("[") else text.split()
    exposed = [word.split("/")[0] for i in final.all("EXPOSE") for word in i.arguments.split()]
    healthcheck = final.last("HEALTHCHECK")
    entrypoint = final.last("ENTRYPOINT")
    cmd = final.last("CMD")
    return Image(
        dockerfile=Path(path),
        stages=stages,
        workdir=workdir,
        copies=copies,
        user=user.arguments if user else None,
        volumes=volumes,
        exposed=exposed,
        healthcheck=parse_healthcheck(healthcheck) if healthcheck else None,
        entrypoint=exec_form(entrypoint, "ENTRYPOINT") if entrypoint else None,
        cmd=exec_form(cmd, "CMD") if cmd else None,
    )


def option(argv, name):
    """The value of `--name value` (or `--name=value`) in an argv, or None."""
    for index, word in enumerate(argv):
        if word == name and index + 1 < len(argv):
            return argv[index + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    return None


# ---- .dockerignore --------------------------------------------------------------------------------------

def _pattern_regex(pattern):
    """A regex for one .dockerignore pattern (Go filepath.Match, plus `**` for any number of folders)."""
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
                out += "(?:.*/)?"
            else:
                out += ".*"
            continue
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out += re.escape(c)
            else:
                body = pattern[i + 1:end]
                body = "^" + body[1:] if body.startswith(("!", "^")) else body
                out += "[" + body.replace("\\", "\\\\") + "]"
                i = end
        else:
            out += re.escape(c)
        i += 1
    # A pattern that matches a folder excludes everything below it.
    return re.compile(out + "(?:/.*)?$", re.DOTALL)


def dockerignore_excludes(path=DOCKERIGNORE):
    """A function telling whether a context-relative path is left out of the build context."""
    rules = []
    if Path(path).is_file():
        for raw in Path(path).read_text().splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            pattern = line[1:].strip() if negate else line
            pattern = str(PurePosixPath("/" + pattern.strip("/")))[1:] or "."
            rules.append((negate, _pattern_regex(pattern)))

    def excluded(relative):
        relative = str(PurePosixPath(relative))
        verdict = False
        for negate, regex in rules:  # the last matching rule wins
            if regex.match(relative):
                verdict = not negate
        return verdict

    return excluded


# ---- compose --------------------------------------------------------------------------------------------

def load_compose(path=COMPOSE_FILE):
    with open(path) as f:
        document = yaml.safe_load(f)
    if not isinstance(document, dict):
        raise RecipeError(f"{path}: not a mapping")
    return document


def environment(service):
    """A service's environment as a dict (compose allows a mapping or a list of KEY=VALUE)."""
    value = service.get("environment") or {}
    if isinstance(value, list):
        pairs = (item.split("=", 1) for item in value)
        return {k: (v[0] if v else "") for k, *v in pairs}
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def ports(service):
    """(host port, container port) pairs of a service's short-syntax or long-syntax `ports`."""
    pairs = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            pairs.append((int(entry["published"]), int(entry["target"])))
            continue
        parts = str(entry).split("/")[0].split(":")
        if len(parts) == 1:
            raise RecipeError(f"port {entry!r} publishes on a random host port")
        pairs.append((int(parts[-2]), int(parts[-1])))
    return pairs


@dataclass
class Mount:
    source: str
    target: str
    kind: str             # "volume" or "bind"
    read_only: bool


def mounts(service):
    """A service's volumes, short or long syntax; a source starting with . or / is a bind mount."""
    result = []
    for entry in service.get("volumes") or []:
        if isinstance(entry, dict):
            result.append(Mount(entry.get("source", ""), entry["target"], entry.get("type", "volume"),
                                bool(entry.get("read_only"))))
            continue
        parts = str(entry).split(":")
        source, target = (parts[0], parts[1]) if len(parts) > 1 else ("", parts[0])
        mode = parts[2] if len(parts) > 2 else ""
        kind = "bind" if source.startswith((".", "/", "~")) else "volume"
        result.append(Mount(source, target, kind, "ro" in mode.split(",")))
    return result


def build_of(service, compose_dir):
    """(context folder, Dockerfile path) of a service's `build`."""
    build = service.get("build")
    if build is None:
        return None
    if isinstance(build, str):
        build = {"context": build}
    context = (Path(compose_dir) / build.get("context", ".")).resolve()
    return context, (context / build.get("dockerfile", "Dockerfile")).resolve()


def healthcheck_argv(service):
    """The exec argv of a compose healthcheck `test` (CMD form)."""
    test = (service.get("healthcheck") or {}).get("test")
    if isinstance(test, list) and test and test[0] == "CMD":
        return test[1:]
    raise RecipeError(f"healthcheck test must be [\"CMD\", ...], not {test!r}")
